-- 覆盖率: coverage by township and village.
CREATE TABLE IF NOT EXISTS coverage_by_area (
    township           VARCHAR,
    village            VARCHAR,
    residents_16_plus  INTEGER,
    insured            INTEGER,
    uninsured_eligible INTEGER,
    coverage_rate      DOUBLE,
    run_id             VARCHAR
);
COMMENT ON TABLE coverage_by_area IS '参保覆盖率：按乡镇街道、村社区统计年满16周岁户籍人口的参保情况';
COMMENT ON COLUMN coverage_by_area.township IS '乡镇街道';
COMMENT ON COLUMN coverage_by_area.village IS '村社区';
COMMENT ON COLUMN coverage_by_area.residents_16_plus IS '年满16周岁在世户籍人口';
COMMENT ON COLUMN coverage_by_area.insured IS '已参保人数（城乡居保或职工养老保险）';
COMMENT ON COLUMN coverage_by_area.uninsured_eligible IS '应保未保人数';
COMMENT ON COLUMN coverage_by_area.coverage_rate IS '参保率（已参保 ÷ 年满16周岁人口）';
COMMENT ON COLUMN coverage_by_area.run_id IS '批次号';
-- Added for issue 16: people contacted and found insured elsewhere (已在外地参保).
ALTER TABLE coverage_by_area ADD COLUMN IF NOT EXISTS covered_elsewhere INTEGER;
COMMENT ON COLUMN coverage_by_area.covered_elsewhere IS '经走访核实已在外地参保人数（计入覆盖，不计应保未保）';
