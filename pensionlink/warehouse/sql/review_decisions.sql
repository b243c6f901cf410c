-- 复核决定: kept forever, applied every night while the record is unchanged.
CREATE TABLE IF NOT EXISTS review_decisions (
    review_id  VARCHAR,
    source     VARCHAR,
    record_key VARCHAR,
    person_id  VARCHAR,
    decision   VARCHAR,
    decided_by VARCHAR,
    decided_at TIMESTAMP,
    note       VARCHAR
);
COMMENT ON TABLE review_decisions IS '复核决定：每晚沿用，直至记录内容改变';
COMMENT ON COLUMN review_decisions.review_id IS '复核编号 review item id';
COMMENT ON COLUMN review_decisions.source IS '来源 source';
COMMENT ON COLUMN review_decisions.record_key IS '记录内容指纹 fingerprint of the record decided on';
COMMENT ON COLUMN review_decisions.person_id IS '候选人员 candidate person';
COMMENT ON COLUMN review_decisions.decision IS '决定：accept 是同一人 / reject 不是同一人';
COMMENT ON COLUMN review_decisions.decided_by IS '复核人 who decided';
COMMENT ON COLUMN review_decisions.decided_at IS '复核时间 when';
COMMENT ON COLUMN review_decisions.note IS '备注 note';
