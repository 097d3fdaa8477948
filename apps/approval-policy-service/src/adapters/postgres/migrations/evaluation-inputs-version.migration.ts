import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The tables an evaluation reads from the catalogue and the directory. */
export const EVALUATION_INPUT_TABLES = ['identities', 'groups', 'group_members', 'resources', 'tiers', 'policy_version'] as const;

/**
 * One counter that every write to an evaluation's inputs moves, by trigger, whichever code (or
 * operator) writes: a replica can keep the catalogue and directory it last read and know, with one
 * single-row query, whether they are still current.
 */
export class EvaluationInputsVersion1733000000030 implements MigrationInterface {
  name = 'EvaluationInputsVersion1733000000030';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE evaluation_inputs_version (
      id int PRIMARY KEY CHECK (id = 1),
      version bigint NOT NULL
    )`);
    await q.query(`INSERT INTO evaluation_inputs_version (id, version) VALUES (1, 1)`);
    await q.query(`CREATE FUNCTION bump_evaluation_inputs_version() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE evaluation_inputs_version SET version = version + 1 WHERE id = 1;
        RETURN NULL;
      END $$`);
    for (const table of EVALUATION_INPUT_TABLES) {
      await q.query(`CREATE TRIGGER ${table}_moves_evaluation_inputs
        AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${table}
        FOR EACH STATEMENT EXECUTE FUNCTION bump_evaluation_inputs_version()`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of EVALUATION_INPUT_TABLES) await q.query(`DROP TRIGGER ${table}_moves_evaluation_inputs ON ${table}`);
    await q.query(`DROP FUNCTION bump_evaluation_inputs_version()`);
    await q.query(`DROP TABLE evaluation_inputs_version`);
  }
}
