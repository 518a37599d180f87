-- Every batch adds to a counter row per (workspace, month, metric) and to an
-- hourly bucket per call group: updates, thousands per batch. With full pages
-- each update writes its new row version elsewhere and so inserts into every
-- index of the table (usage_counters has three). Pages left part empty let
-- PostgreSQL keep the new version on the same page (a HOT update: no index
-- entry), which measured at about half the counters' write cost per batch.
-- The setting applies to pages written from now on; an existing table gains
-- the room as its pages are rewritten (VACUUM FULL in a maintenance window).
ALTER TABLE core.usage_counters SET (fillfactor = 50);
ALTER TABLE core.usage_hourly SET (fillfactor = 70);
