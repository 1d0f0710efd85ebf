-- A recorded batch of generations is charged with one ledger entry per
-- key (kind 'usage', minus the sum of their costs) rather than one per
-- generation: a generation's own entry (a row, the unique index on
-- generation_id and ledger_account, and three foreign-key lookups) was
-- more than a quarter of what recording the generation cost the billing
-- flush. Each generation now names the entry that charged it.
--
-- The entries charged before keep their generation_id, and their
-- generations are pointed at them, so that every charged generation
-- names its entry. That UPDATE rewrites the generations that cost
-- something, once.

ALTER TABLE generations ADD COLUMN ledger_id INTEGER REFERENCES ledger (id) DEFERRABLE INITIALLY DEFERRED;

UPDATE generations
SET ledger_id = (SELECT l.id FROM ledger l WHERE l.generation_id = generations.id)
WHERE id IN (SELECT generation_id FROM ledger WHERE generation_id IS NOT NULL);
