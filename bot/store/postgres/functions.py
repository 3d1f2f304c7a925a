"""SQLite's functions the store's statements use, created in PostgreSQL under the same names.

Each behaves as SQLite's does for the values the store keeps (ISO-8601 text times, JSON text),
so a statement reads the same on both backends. Created again at every start (CREATE OR
REPLACE), under the migration lock, so a new version's definitions take effect at once.
"""

from __future__ import annotations

FUNCTIONS = """
CREATE OR REPLACE FUNCTION instr(haystack text, needle text) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT strpos(haystack, needle) $$;
CREATE OR REPLACE FUNCTION instr(haystack bytea, needle text) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT position(convert_to(needle, 'UTF8') IN haystack) $$;
CREATE OR REPLACE FUNCTION instr(haystack bytea, needle bytea) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT position(needle IN haystack) $$;
CREATE OR REPLACE FUNCTION json_extract(document text, path text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT jsonb_path_query_first(document::jsonb, path::jsonpath) #>> '{}' $$;
CREATE OR REPLACE FUNCTION julianday(moment text) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT extract(epoch FROM moment::timestamptz)::double precision / 86400.0
              + 2440587.5 $$;
CREATE OR REPLACE FUNCTION brandbot_total_step(running double precision, value double precision)
    RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT running + coalesce(value, 0) $$;
CREATE OR REPLACE AGGREGATE total(double precision) (
    SFUNC = brandbot_total_step, STYPE = double precision, INITCOND = '0'
);
CREATE OR REPLACE FUNCTION brandbot_count_true(running bigint, value boolean) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT running + CASE WHEN value THEN 1 ELSE 0 END $$;
CREATE OR REPLACE AGGREGATE sum(boolean) (
    SFUNC = brandbot_count_true, STYPE = bigint, INITCOND = '0'
);
"""
