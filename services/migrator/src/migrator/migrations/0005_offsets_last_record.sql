-- What each stored offset stands for: the last record `migrator load` applied
-- in that partition (its offset, key and broker timestamp). A topic deleted and
-- created again hands out the same offsets for other records, so an offset
-- alone cannot tell whether it still belongs to the topic; at start-up the
-- load fetches the record at last_offset and compares. Rows stored before
-- this column existed have it NULL: such a position cannot be checked, and
-- the load refuses it rather than trust it.
ALTER TABLE migrator.consumer_offsets
    ADD COLUMN last_offset    bigint,
    ADD COLUMN last_key       bytea,
    ADD COLUMN last_timestamp bigint;
