-- 运行记录: one row per nightly run.
CREATE TABLE IF NOT EXISTS runs (
    run_id      VARCHAR PRIMARY KEY,
    started_at  TIMESTAMP,
    finished_at TIMESTAMP,
    as_of       DATE,
    status      VARCHAR,
    extracts    VARCHAR,
    sources     STRUCT(source VARCHAR, file VARCHAR, checksum VARCHAR, encoding VARCHAR,
                       rows_read BIGINT, rows_rejected BIGINT, stale BOOLEAN, note VARCHAR)[],
    stages      STRUCT(stage VARCHAR, seconds DOUBLE)[]
);
COMMENT ON TABLE runs IS '运行记录：每次夜间运行一行';
COMMENT ON COLUMN runs.run_id IS '批次号';
COMMENT ON COLUMN runs.started_at IS '开始时间';
COMMENT ON COLUMN runs.finished_at IS '结束时间';
COMMENT ON COLUMN runs.as_of IS '数据截止日期';
COMMENT ON COLUMN runs.status IS '状态：published 已发布 / backfilled 补跑较早一晚，仅写入历史表，当前结果表和上次有效数据不变 / superseded 同一晚同样输入重跑，结果已由后一次替换 / failed 未发布';
COMMENT ON COLUMN runs.extracts IS '数据目录';
COMMENT ON COLUMN runs.sources IS '各来源文件：校验和、编码、读取行数、拒收行数、是否沿用上次数据';
COMMENT ON COLUMN runs.stages IS '各阶段耗时（秒）';
-- Added after the first release.
ALTER TABLE runs ADD COLUMN IF NOT EXISTS inputs VARCHAR;
ALTER TABLE runs ADD COLUMN IF NOT EXISTS error VARCHAR;
COMMENT ON COLUMN runs.inputs IS '输入指纹：各来源文件校验和、政策参数与人工复核决定的散列；相同则为同一输入的重跑';
COMMENT ON COLUMN runs.error IS '未发布的原因（一行，不含身份证号和姓名）';
ALTER TABLE runs ADD COLUMN IF NOT EXISTS run_by VARCHAR;
COMMENT ON COLUMN runs.run_by IS '运行者（操作系统账号@主机），供审计';
ALTER TABLE runs ADD COLUMN IF NOT EXISTS held
    STRUCT(source VARCHAR, file VARCHAR, checksum VARCHAR, reason VARCHAR)[];
COMMENT ON COLUMN runs.held IS '暂缓采用的送达文件（送达量或截断检查未通过，沿用上次有效数据）：来源、文件、校验值、原因';
