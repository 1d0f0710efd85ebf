-- A recorded batch of generations is charged with one ledger entry per
-- key (kind 'usage', minus the sum of their costs) rather than one per
-- generation, and each generation names the entry that charged it. The
-- entries charged before keep their generation_id, and their generations
-- are pointed at them (an UPDATE of the generations that cost something,
-- once).

ALTER TABLE generations ADD COLUMN ledger_id BIGINT REFERENCES ledger (id);

UPDATE generations g SET ledger_id = l.id
FROM ledger l
WHERE l.generation_id = g.id;
