-- What other processes may do with the migrator's tables: the operator
-- commands read them (verify) and empty them (reset-factory); nobody else
-- touches them (checked by `sendfx-dev check-ownership`).
GRANT SELECT, DELETE, TRUNCATE
    ON migrator.user_aliases, migrator.pending, migrator.consumer_offsets,
       migrator.tier_aliases, migrator.migration_rejects
    TO sendfx_operator;
