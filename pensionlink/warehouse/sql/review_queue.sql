-- 人工复核队列: records the matcher could not decide, with the candidate and why.
CREATE TABLE IF NOT EXISTS review_queue (
    review_id    VARCHAR,
    source       VARCHAR,
    line_no      BIGINT,
    record_key   VARCHAR,
    person_id    VARCHAR,
    probability  DOUBLE,
    weight       DOUBLE,
    runner_up    DOUBLE,
    comparison   VARCHAR,
    reason       VARCHAR,
    run_id       VARCHAR
);
COMMENT ON TABLE review_queue IS '人工复核队列：比对无法自动判定的记录及其候选人员（本晚）';
COMMENT ON COLUMN review_queue.review_id IS '复核编号（记录内容与候选人不变则编号不变） review item id, stable while record and candidate are unchanged';
COMMENT ON COLUMN review_queue.source IS '来源 source';
COMMENT ON COLUMN review_queue.line_no IS '来源文件行号 line in the source file';
COMMENT ON COLUMN review_queue.record_key IS '记录内容指纹 fingerprint of the record as delivered';
COMMENT ON COLUMN review_queue.person_id IS '候选人员（户籍身份证号） candidate person (hukou ID)';
COMMENT ON COLUMN review_queue.probability IS '匹配概率 match probability';
COMMENT ON COLUMN review_queue.weight IS '匹配权重（log2） match weight';
COMMENT ON COLUMN review_queue.runner_up IS '次优候选的匹配概率 probability of the next best candidate';
COMMENT ON COLUMN review_queue.comparison IS '逐项比对及权重 comparison of each field with its weight';
COMMENT ON COLUMN review_queue.reason IS '需复核原因 why a person must decide';
COMMENT ON COLUMN review_queue.run_id IS '运行编号 run';
