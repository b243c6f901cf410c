-- 应保未保人员: registered, alive, 16+, on neither pension roster.
CREATE TABLE IF NOT EXISTS uninsured_eligible (
    citizen_id     VARCHAR,
    name           VARCHAR,
    township       VARCHAR,
    village        VARCHAR,
    age            INTEGER,
    category       VARCHAR,
    special_groups VARCHAR[],
    advance_amount DECIMAL(12, 2),
    evidence       VARCHAR,
    run_id         VARCHAR
);
COMMENT ON TABLE uninsured_eligible IS '应保未保人员：本市户籍、在世、年满16周岁、未参加城乡居保或职工养老保险';
COMMENT ON COLUMN uninsured_eligible.citizen_id IS '公民身份号码';
COMMENT ON COLUMN uninsured_eligible.name IS '姓名';
COMMENT ON COLUMN uninsured_eligible.township IS '乡镇街道';
COMMENT ON COLUMN uninsured_eligible.village IS '村社区';
COMMENT ON COLUMN uninsured_eligible.age IS '年龄（截至批次日期）';
COMMENT ON COLUMN uninsured_eligible.category IS '类别：government_paid 政府代缴 / back_payment 补缴 / standard 普通';
COMMENT ON COLUMN uninsured_eligible.special_groups IS '特殊群体：低保、特困、重度残疾、脱贫户、监测户';
COMMENT ON COLUMN uninsured_eligible.advance_amount IS '缴费资金垫付额（元，仅补缴类）';
COMMENT ON COLUMN uninsured_eligible.evidence IS '未参保依据';
COMMENT ON COLUMN uninsured_eligible.run_id IS '批次号';
