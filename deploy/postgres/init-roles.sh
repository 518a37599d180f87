#!/bin/sh
# postgres:18 runs this once, when it initialises its data directory: the
# login roles of the sendfx processes (deploy/postgres/roles.sql), each with
# the password docker-compose passes in.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v core_api_password="$CORE_API_DB_PASSWORD" \
  -v usage_ingestor_password="$USAGE_INGESTOR_DB_PASSWORD" \
  -v migrator_password="$MIGRATOR_DB_PASSWORD" \
  -v operator_password="$OPERATOR_DB_PASSWORD" \
  -f /sendfx/roles.sql
