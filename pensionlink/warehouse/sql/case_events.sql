-- 案件处理记录: every action on a case, never changed or deleted (the case store enforces it).
CREATE TABLE IF NOT EXISTS case_events (
    case_id    VARCHAR,
    "at"       TIMESTAMP,
    "by"       VARCHAR,
    role       VARCHAR,
    action     VARCHAR,
    from_state VARCHAR,
    to_state   VARCHAR,
    note       VARCHAR,
    amount     DECIMAL(12, 2),
    outcome    VARCHAR,
    run_id     VARCHAR
);
COMMENT ON TABLE case_events IS '案件处理记录：每一次操作（谁、何时、何角色、何操作），只增不改';
COMMENT ON COLUMN case_events.case_id IS '案件编号';
COMMENT ON COLUMN case_events."at" IS '操作时间';
COMMENT ON COLUMN case_events."by" IS '经办人（夜间自动处理为 system）';
COMMENT ON COLUMN case_events.role IS '角色';
COMMENT ON COLUMN case_events.action IS '操作';
COMMENT ON COLUMN case_events.from_state IS '操作前状态';
COMMENT ON COLUMN case_events.to_state IS '操作后状态';
COMMENT ON COLUMN case_events.note IS '说明';
COMMENT ON COLUMN case_events.amount IS '金额（元）';
COMMENT ON COLUMN case_events.outcome IS '走访结果';
COMMENT ON COLUMN case_events.run_id IS '发布批次';
