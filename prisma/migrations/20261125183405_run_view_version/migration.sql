-- AlterTable
ALTER TABLE "run" ADD COLUMN     "view_version" BIGINT NOT NULL DEFAULT 0;

-- run.view_version: any change to a run's row or to its latest metrics, params, tags or dataset
-- inputs bumps it in the same transaction, so the run's cached wire JSON (keyed by it) is used only
-- while nothing in it has changed. Triggers, not application code, so no write path can forget it.

-- The run row itself: any update that does not set view_version bumps it.
CREATE FUNCTION "run_view_bump"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.view_version := OLD.view_version + 1;
  RETURN NEW;
END;
$$;
CREATE TRIGGER "run_view_bump" BEFORE UPDATE ON "run"
  FOR EACH ROW WHEN (NEW.view_version = OLD.view_version) EXECUTE FUNCTION "run_view_bump"();

-- Child rows: once per statement, for the runs in its transition table. A run this transaction
-- has already updated (xmin is ours) has been bumped: its new version becomes visible with the
-- rest of the transaction, so one bump per transaction is enough.
CREATE FUNCTION "run_view_touch"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE run SET view_version = view_version + 1
  WHERE pk IN (SELECT DISTINCT run_pk FROM changed) AND xmin <> pg_current_xact_id()::xid;
  RETURN NULL;
END;
$$;
DO $$
DECLARE
  t text;
  e text;
BEGIN
  FOREACH t IN ARRAY ARRAY['latest_metric', 'param', 'run_tag', 'run_input'] LOOP
    FOREACH e IN ARRAY ARRAY['INSERT', 'UPDATE', 'DELETE'] LOOP
      EXECUTE format('CREATE TRIGGER %I AFTER %s ON %I REFERENCING %s TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "run_view_touch"()',
        t || '_view_' || lower(left(e, 3)), e, t, CASE e WHEN 'DELETE' THEN 'OLD' ELSE 'NEW' END);
    END LOOP;
  END LOOP;
END;
$$;

-- log-batch writes a whole batch in one statement; a param logged again with another value must
-- abort that statement (nothing written), so its check calls this.
CREATE FUNCTION "modelgate_param_conflict"("key" text) RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'modelgate_param_conflict: %', "key";
END;
$$;
