-- 拒收记录: rows a connector could not accept, with the reason.
CREATE TABLE IF NOT EXISTS rejected_rows (
    source  VARCHAR,
    file    VARCHAR,
    line    BIGINT,
    "column" VARCHAR,
    value   VARCHAR,
    reason  VARCHAR,
    run_id  VARCHAR
);
COMMENT ON TABLE rejected_rows IS '拒收记录：无法读取的行及原因';
COMMENT ON COLUMN rejected_rows.source IS '来源';
COMMENT ON COLUMN rejected_rows.file IS '文件';
COMMENT ON COLUMN rejected_rows.line IS '行号（表头为第1行）';
COMMENT ON COLUMN rejected_rows."column" IS '列名';
COMMENT ON COLUMN rejected_rows.value IS '原始值（身份证号不显示）';
COMMENT ON COLUMN rejected_rows.reason IS '原因';
COMMENT ON COLUMN rejected_rows.run_id IS '批次号';
