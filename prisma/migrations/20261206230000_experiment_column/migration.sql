-- The metric, param and tag keys each experiment's runs have been given: the runs table's column
-- list (core listRunColumns) reads this instead of collecting distinct keys over every run of the
-- experiment (hundreds of milliseconds at 100 000 runs). Kept by triggers on the tables that hold
-- keys, so every writer (log-batch, run creation, set-tag, SQL) keeps it; a key is never removed
-- (a column a deleted run or a deleted tag held stays offered, empty).
CREATE TABLE "experiment_column" (
  "experiment_id" INTEGER NOT NULL REFERENCES "experiment"("id") ON DELETE CASCADE,
  "kind" TEXT NOT NULL,
  "key" TEXT NOT NULL,
  PRIMARY KEY ("experiment_id", "kind", "key")
);

CREATE FUNCTION "experiment_column_add"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- in key order, so two writers adding the same keys never wait on each other crosswise
  INSERT INTO experiment_column (experiment_id, kind, key)
  SELECT DISTINCT r.experiment_id, TG_ARGV[0], c.key FROM changed c JOIN run r ON r.pk = c.run_pk
  ORDER BY 1, 3
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;

CREATE TRIGGER "latest_metric_column_add" AFTER INSERT ON "latest_metric" REFERENCING NEW TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION "experiment_column_add"('m');
CREATE TRIGGER "param_column_add" AFTER INSERT ON "param" REFERENCING NEW TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION "experiment_column_add"('p');
CREATE TRIGGER "run_tag_column_add" AFTER INSERT ON "run_tag" REFERENCING NEW TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION "experiment_column_add"('t');

INSERT INTO experiment_column (experiment_id, kind, key)
SELECT DISTINCT r.experiment_id, 'm', t.key FROM latest_metric t JOIN run r ON r.pk = t.run_pk
UNION SELECT DISTINCT r.experiment_id, 'p', t.key FROM param t JOIN run r ON r.pk = t.run_pk
UNION SELECT DISTINCT r.experiment_id, 't', t.key FROM run_tag t JOIN run r ON r.pk = t.run_pk
ON CONFLICT DO NOTHING;
