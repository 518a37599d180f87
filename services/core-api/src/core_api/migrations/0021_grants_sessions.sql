-- The operator's factory reset empties the sessions and login counts with
-- the users (TRUNCATE ... CASCADE reaches core.refresh_tokens).
GRANT SELECT, DELETE, TRUNCATE ON core.refresh_tokens, core.login_failures TO sendfx_operator;
