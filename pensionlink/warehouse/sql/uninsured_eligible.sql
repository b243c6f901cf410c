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
    monthly_pension_estimate DECIMAL(12, 2),
    repay_months   INTEGER,
    advance_note   VARCHAR,
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
COMMENT ON COLUMN uninsured_eligible.evidence IS '未参保依据：不在参保名册，或城乡居保参保记录已终止（日期、原因）';
COMMENT ON COLUMN uninsured_eligible.run_id IS '批次号';
-- Added after the first release: older databases get the columns here.
ALTER TABLE uninsured_eligible ADD COLUMN IF NOT EXISTS monthly_pension_estimate DECIMAL(12, 2);
ALTER TABLE uninsured_eligible ADD COLUMN IF NOT EXISTS repay_months INTEGER;
COMMENT ON COLUMN uninsured_eligible.monthly_pension_estimate IS '预计月养老金（元，仅补缴类）：基础养老金 + 补缴额 ÷ 139';
COMMENT ON COLUMN uninsured_eligible.repay_months IS '垫付偿还月数（仅补缴类）：每月养老金全额抵扣，直至还清垫付';
ALTER TABLE uninsured_eligible ADD COLUMN IF NOT EXISTS advance_note VARCHAR;
COMMENT ON COLUMN uninsured_eligible.advance_note IS '无垫付金额的原因（仅补缴类）：垫付政策不在执行期（政策参数 advance_cap 已到期）';
