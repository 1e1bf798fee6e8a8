-- A saga changes state at every step, and each change rewrote its entry in
-- sagas_step (state, step, created_at, id), kept for the bulk retry of sagas
-- stuck at a step: about 5% of the orchestrator's instructions per order
-- (BenchmarkHandleStep under cachegrind). A partial index of stuck sagas
-- alone cost more still. sagas_state (state, created_at, id) finds the stuck
-- sagas in the same order; the few of them at other steps are skipped.
DROP INDEX sagas_step;
