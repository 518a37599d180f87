-- Rendered by `sendfx-dev roles-sql`: the login roles of the sendfx processes
-- and what their migrations need. Run as an admin with psql, once per
-- database, passing each role's password:
--   psql -v core_api_password=... -v usage_ingestor_password=... \
--        -v migrator_password=... -v operator_password=... -f roles.sql
-- Then give each process its own role in POSTGRES_URL (or POSTGRES_USER /
-- POSTGRES_PASSWORD); the processes' migrations issue the table grants.
\set ON_ERROR_STOP on
SELECT format('CREATE ROLE %I', 'sendfx_core_api')
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sendfx_core_api') \gexec
ALTER ROLE sendfx_core_api LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'core_api_password';
SELECT format('CREATE ROLE %I', 'sendfx_usage_ingestor')
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sendfx_usage_ingestor') \gexec
ALTER ROLE sendfx_usage_ingestor LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'usage_ingestor_password';
SELECT format('CREATE ROLE %I', 'sendfx_migrator')
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sendfx_migrator') \gexec
ALTER ROLE sendfx_migrator LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'migrator_password';
SELECT format('CREATE ROLE %I', 'sendfx_operator')
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sendfx_operator') \gexec
ALTER ROLE sendfx_operator LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'operator_password';
REVOKE ALL ON DATABASE "sendfx" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE "sendfx" TO sendfx_core_api, sendfx_usage_ingestor, sendfx_migrator, sendfx_operator;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
CREATE EXTENSION IF NOT EXISTS citext;
CREATE SCHEMA IF NOT EXISTS core AUTHORIZATION sendfx_core_api;
ALTER SCHEMA core OWNER TO sendfx_core_api;
GRANT USAGE ON SCHEMA core TO sendfx_usage_ingestor, sendfx_migrator, sendfx_operator;
GRANT CREATE ON SCHEMA core TO sendfx_usage_ingestor;
CREATE SCHEMA IF NOT EXISTS migrator AUTHORIZATION sendfx_migrator;
ALTER SCHEMA migrator OWNER TO sendfx_migrator;
GRANT USAGE ON SCHEMA migrator TO sendfx_operator;
