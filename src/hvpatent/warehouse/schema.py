"""The canonical tables (DDL).  Storage is DuckDB; analytics read it through Ibis.

Application-centric after PATSTAT and CNIPA practice; docs/data-model.md describes each table.
"""

TABLES: dict[str, str] = {
    "imports": """
        import_id INTEGER PRIMARY KEY,
        file_name VARCHAR NOT NULL,
        file_sha256 VARCHAR NOT NULL,
        source VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        imported_at TIMESTAMP NOT NULL,
        rows_read INTEGER NOT NULL,
        rows_inserted INTEGER NOT NULL,
        rows_updated INTEGER NOT NULL,
        rows_unchanged INTEGER NOT NULL,
        rows_rejected INTEGER NOT NULL
    """,
    # What an import noticed besides its rows (unknown event words, warnings); kept with the import.
    "import_notes": """
        import_id INTEGER NOT NULL,
        kind VARCHAR NOT NULL,
        text VARCHAR NOT NULL,
        count INTEGER NOT NULL
    """,
    "applications": """
        app_no VARCHAR PRIMARY KEY,
        patent_type VARCHAR NOT NULL,
        filing_date DATE NOT NULL,
        priority_date DATE,
        pct_app_no VARCHAR,
        pct_entry_date DATE,
        title VARCHAR,
        abstract VARCHAR,
        ipc_main VARCHAR,
        claims_count INTEGER,
        agency VARCHAR,
        family_id VARCHAR,
        source VARCHAR NOT NULL,
        row_hash VARCHAR NOT NULL,
        first_import_id INTEGER NOT NULL,
        last_import_id INTEGER NOT NULL
    """,
    "application_history": """
        app_no VARCHAR NOT NULL,
        import_id INTEGER NOT NULL,
        previous_row_hash VARCHAR NOT NULL,
        previous_title VARCHAR,
        previous_ipc_main VARCHAR,
        previous_source VARCHAR
    """,
    "ipc_classes": """
        app_no VARCHAR NOT NULL,
        seq INTEGER NOT NULL,
        ipc VARCHAR NOT NULL,
        is_main BOOLEAN NOT NULL,
        PRIMARY KEY (app_no, seq)
    """,
    "publications": """
        pub_no VARCHAR PRIMARY KEY,
        app_no VARCHAR NOT NULL,
        kind VARCHAR,
        pub_date DATE
    """,
    "parties": """
        app_no VARCHAR NOT NULL,
        seq INTEGER NOT NULL,
        role VARCHAR NOT NULL,
        name VARCHAR NOT NULL,
        name_norm VARCHAR NOT NULL,
        party_type VARCHAR NOT NULL,
        address VARCHAR,
        province_code VARCHAR,
        city_code VARCHAR,
        county_code VARCHAR,
        town_code VARCHAR,
        town_source VARCHAR,
        country VARCHAR,
        PRIMARY KEY (app_no, seq)
    """,
    "legal_events": """
        app_no VARCHAR NOT NULL,
        event_date DATE NOT NULL,
        event_type VARCHAR NOT NULL,
        raw_text VARCHAR NOT NULL,
        effective_date DATE,
        import_id INTEGER NOT NULL,
        PRIMARY KEY (app_no, event_date, event_type, raw_text)
    """,
    "status_snapshots": """
        app_no VARCHAR NOT NULL,
        snapshot_date DATE NOT NULL,
        status VARCHAR NOT NULL,
        raw_text VARCHAR NOT NULL,
        source VARCHAR NOT NULL,
        PRIMARY KEY (app_no, snapshot_date)
    """,
    "family_members": """
        family_id VARCHAR NOT NULL,
        office VARCHAR NOT NULL,
        member_no VARCHAR NOT NULL,
        granted BOOLEAN NOT NULL,
        grant_date DATE,
        PRIMARY KEY (family_id, member_no)
    """,
    # Citations an application makes (专利引证 of CNIPA exports, Google Patents' citation): one row per citing
    # application and cited document.  cited_no is the document number normalised (upper case, no separators,
    # kind code kept: CN105123456A, US9876543B2); cited_key the same without its kind code, so that a patent is
    # matched whichever of its documents (A or B) was cited.  Forward citations of a patent are computed, never
    # stored (value/): the rows whose cited_key is one of its publications' keys.
    "citations": """
        citing_app_no VARCHAR NOT NULL,
        cited_no VARCHAR NOT NULL,
        cited_key VARCHAR NOT NULL,
        source VARCHAR NOT NULL,
        PRIMARY KEY (citing_app_no, cited_no)
    """,
    # Inventors (发明人/设计人) as an export names them, in its order: the talent of patent navigation
    # (navigation/). Keyed by application and normalised name, so a re-import adds nothing; an export that
    # drops a name leaves the earlier row (inventor lists are not corrected after publication in practice).
    "inventors": """
        app_no VARCHAR NOT NULL,
        seq INTEGER NOT NULL,
        name VARCHAR NOT NULL,
        name_norm VARCHAR NOT NULL,
        PRIMARY KEY (app_no, name_norm)
    """,
    "pledges": """
        contract_no VARCHAR NOT NULL,
        app_no VARCHAR NOT NULL,
        pledgor VARCHAR,
        pledgee VARCHAR,
        amount_yuan DECIMAL(18, 2),
        registered_date DATE NOT NULL,
        changed_date DATE,
        released_date DATE,
        PRIMARY KEY (contract_no, app_no)
    """,
    # The pledge registry (docs/finance.md): one row per pledge contract (质押登记号) as registered, its release
    # (注销) or disposal on default (质权实现/处置) when recorded.  Changes (变更) are kept apart, dated, in
    # pledge_changes, so a contract's state on any day is the registration overlaid with the changes up to it.
    # ``pledges`` above stays the per-patent line view (one row per contract and patent) that the high-value
    # criterion, the value features and older warehouses read; the registry importer writes both.
    "pledge_contracts": """
        contract_no VARCHAR PRIMARY KEY,
        pledgor VARCHAR NOT NULL,
        pledgor_norm VARCHAR NOT NULL,
        pledgee VARCHAR NOT NULL,
        pledgee_norm VARCHAR NOT NULL,
        amount_yuan DECIMAL(18, 2) NOT NULL,
        loan_start DATE,
        loan_end DATE,
        registered_date DATE NOT NULL,
        released_date DATE,
        disposed_date DATE,
        source VARCHAR NOT NULL
    """,
    # What a contract pledges: patents (item_no = application number) and trademarks (item_no = registration
    # number), each from the day it was added (the registration, or a change adding it) to the change removing it.
    "pledge_items": """
        contract_no VARCHAR NOT NULL,
        item_kind VARCHAR NOT NULL,
        item_no VARCHAR NOT NULL,
        added_date DATE NOT NULL,
        removed_date DATE,
        PRIMARY KEY (contract_no, item_kind, item_no)
    """,
    # Registered changes of a contract (变更登记), one row per changed field: amount_yuan, loan_end, pledgee,
    # pledgor (new_value as text: yuan with 2 decimals, ISO dates, names); items are changed in pledge_items.
    "pledge_changes": """
        contract_no VARCHAR NOT NULL,
        change_date DATE NOT NULL,
        field VARCHAR NOT NULL,
        old_value VARCHAR,
        new_value VARCHAR NOT NULL,
        PRIMARY KEY (contract_no, change_date, field)
    """,
    "awards": """
        app_no VARCHAR NOT NULL,
        award VARCHAR NOT NULL,
        grade VARCHAR NOT NULL,
        year INTEGER NOT NULL,
        PRIMARY KEY (app_no, award, grade, year)
    """,
    "population": """
        region_code VARCHAR NOT NULL,
        year INTEGER NOT NULL,
        population BIGINT NOT NULL,
        PRIMARY KEY (region_code, year)
    """,
    "trademark_counts": """
        region_code VARCHAR NOT NULL,
        as_of_date DATE NOT NULL,
        effective_count BIGINT NOT NULL,
        PRIMARY KEY (region_code, as_of_date)
    """,
    # Trademark records (docs/trademarks.md): one row per registration number and Nice class, the latest
    # export's view of it (the row with the later status_date wins).  Regions as for patent parties.
    "trademarks": """
        reg_no VARCHAR NOT NULL,
        nice_class INTEGER NOT NULL,
        mark_name VARCHAR,
        mark_kind VARCHAR NOT NULL,
        is_gi BOOLEAN NOT NULL,
        is_madrid BOOLEAN NOT NULL,
        owner VARCHAR NOT NULL,
        owner_norm VARCHAR NOT NULL,
        owner_type VARCHAR NOT NULL,
        address VARCHAR,
        province_code VARCHAR,
        city_code VARCHAR,
        county_code VARCHAR,
        town_code VARCHAR,
        town_source VARCHAR,
        country VARCHAR,
        filing_date DATE,
        prelim_pub_date DATE,
        registration_date DATE,
        term_end DATE,
        status_text VARCHAR,
        status_date DATE,
        similar_groups VARCHAR,
        agency VARCHAR,
        source VARCHAR NOT NULL,
        PRIMARY KEY (reg_no, nice_class)
    """,
    # What happened to a trademark (renewal, transfer, cancellation, invalidation, opposition, ...): events
    # accumulate like legal_events; effective_date is when it took legal effect where that differs.
    "trademark_events": """
        reg_no VARCHAR NOT NULL,
        nice_class INTEGER NOT NULL,
        event_date DATE NOT NULL,
        event_type VARCHAR NOT NULL,
        effective_date DATE,
        detail VARCHAR,
        raw_text VARCHAR NOT NULL,
        import_id INTEGER NOT NULL,
        PRIMARY KEY (reg_no, nice_class, event_date, event_type, raw_text)
    """,
    # Year-end count of market entities (市场主体) of a region: the base of 每万户市场主体有效商标拥有量.
    "market_entities": """
        region_code VARCHAR NOT NULL,
        year INTEGER NOT NULL,
        entities BIGINT NOT NULL,
        PRIMARY KEY (region_code, year)
    """,
    # Dated recognitions of enterprises (docs/recognitions.md): IP advantage / demonstration enterprises,
    # certification to GB/T 29490, high-tech enterprise status.
    "recognitions": """
        name_norm VARCHAR NOT NULL,
        name VARCHAR NOT NULL,
        credit_code VARCHAR,
        kind VARCHAR NOT NULL,
        level VARCHAR NOT NULL,
        recognised_date DATE NOT NULL,
        expiry_date DATE,
        revoked_date DATE,
        certifier VARCHAR,
        certificate_no VARCHAR,
        document VARCHAR,
        town_code VARCHAR,
        PRIMARY KEY (name_norm, kind, level, recognised_date)
    """,
    # Patent navigation projects (专利导航项目, GB/T 39551) as records: the plan's navigation_projects target
    # counts the accepted ones (navigation/projects.py).  kind: enterprise | industry | region (the standard's
    # three parts); status: approved (立项) | in_progress (实施中) | accepted (已验收) | terminated (终止).
    "navigation_projects": """
        project_no VARCHAR PRIMARY KEY,
        title VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        enterprise VARCHAR,
        enterprise_norm VARCHAR,
        industry VARCHAR,
        started_date DATE NOT NULL,
        accepted_date DATE,
        status VARCHAR NOT NULL,
        report_file VARCHAR,
        note VARCHAR
    """,
    # A person's decision on a patent's place in an industry's technology breakdown (navigation/): on (True) or
    # off (False) the branch.  Overrides the rules and the classifier, and trains the classifier.
    "branch_corrections": """
        app_no VARCHAR NOT NULL,
        industry VARCHAR NOT NULL,
        branch VARCHAR NOT NULL,
        on_branch BOOLEAN NOT NULL,
        corrected_by VARCHAR,
        corrected_at TIMESTAMP NOT NULL,
        PRIMARY KEY (app_no, industry, branch)
    """,
    # The classifier's placements of an industry's patents that no rule placed (navigation/classifier.py):
    # written by a training run, read by the counting; ``model`` is the fingerprint of the model that wrote them.
    "branch_predictions": """
        industry VARCHAR NOT NULL,
        app_no VARCHAR NOT NULL,
        branch VARCHAR NOT NULL,
        confidence DOUBLE NOT NULL,
        model VARCHAR NOT NULL,
        PRIMARY KEY (industry, app_no, branch)
    """,
    "enterprises": """
        name_norm VARCHAR PRIMARY KEY,
        name VARCHAR NOT NULL,
        credit_code VARCHAR,
        tags VARCHAR,
        town_code VARCHAR
    """,
    # Town of an applicant set by hand (`hvp regions assign`): applied when figures are computed, over the
    # enterprise directory and the address (indicators/base.py first_applicants), so no re-import is needed.
    "applicant_towns": """
        name_norm VARCHAR PRIMARY KEY,
        name VARCHAR NOT NULL,
        town_code VARCHAR NOT NULL,
        source VARCHAR NOT NULL,
        assigned_by VARCHAR,
        assigned_at TIMESTAMP NOT NULL
    """,
    # Category of an applicant settled by a person (`hvp applicants classify`): applied when figures are
    # computed, over the credit code, the name rules and the directory (reference/applicant_categories.py).
    "applicant_categories": """
        name_norm VARCHAR PRIMARY KEY,
        name VARCHAR NOT NULL,
        category VARCHAR NOT NULL,
        source VARCHAR NOT NULL,
        assigned_by VARCHAR,
        assigned_at TIMESTAMP NOT NULL
    """,
    "sei_rules": """
        code VARCHAR NOT NULL,
        name VARCHAR NOT NULL,
        ipc_prefix VARCHAR NOT NULL,
        ipc_class VARCHAR NOT NULL,
        exclude_prefixes VARCHAR,
        keywords VARCHAR,
        source VARCHAR NOT NULL
    """,
    # Derived tables (warehouse/derived.py): the fingerprint each was built with, and the applications an
    # import touched since, whose derived rows are rebuilt by the next refresh.
    "derived_meta": """
        name VARCHAR PRIMARY KEY,
        fingerprint VARCHAR NOT NULL,
        built_at TIMESTAMP NOT NULL
    """,
    "derived_stale": """
        app_no VARCHAR NOT NULL
    """,
    # Applications CNIPA notified as abnormal (非正常专利申请, 《规范申请专利行为的规定》 2023), as the bureau receives
    # the lists (docs/subsidies.md): one row per application and notice.  outcome: notified | withdrawn (撤回) |
    # upheld (复核后维持) | overturned (复核后撤销认定).  Subsidies exclude an application while its latest notice
    # is not overturned (subsidies/rules.py).
    "abnormal_notices": """
        app_no VARCHAR NOT NULL,
        notice_date DATE NOT NULL,
        batch VARCHAR,
        applicant VARCHAR,
        agency VARCHAR,
        outcome VARCHAR NOT NULL,
        outcome_date DATE,
        source VARCHAR NOT NULL,
        PRIMARY KEY (app_no, notice_date)
    """,
    # The first (independent) claim of an application as an export gives it (首项权利要求 / 主权项): the claims text
    # that near-duplicate detection compares with the title and abstract (supervision/).  One row per application;
    # a later export's text replaces an earlier one.
    "claims": """
        app_no VARCHAR PRIMARY KEY,
        first_claim VARCHAR NOT NULL,
        source VARCHAR NOT NULL
    """,
    "plan_values": """
        target_key VARCHAR NOT NULL,
        as_of_date DATE NOT NULL,
        value DOUBLE NOT NULL,
        note VARCHAR,
        PRIMARY KEY (target_key, as_of_date)
    """,
}

# Natural keys used for idempotent upserts of the record tables.
KEYS: dict[str, tuple[str, ...]] = {
    "pledges": ("contract_no", "app_no"),
    "pledge_contracts": ("contract_no",),
    "pledge_items": ("contract_no", "item_kind", "item_no"),
    "pledge_changes": ("contract_no", "change_date", "field"),
    "awards": ("app_no", "award", "grade", "year"),
    "population": ("region_code", "year"),
    "trademark_counts": ("region_code", "as_of_date"),
    "enterprises": ("name_norm",),
    "trademarks": ("reg_no", "nice_class"),
    "trademark_events": ("reg_no", "nice_class", "event_date", "event_type", "raw_text"),
    "market_entities": ("region_code", "year"),
    "recognitions": ("name_norm", "kind", "level", "recognised_date"),
    "family_members": ("family_id", "member_no"),
    "citations": ("citing_app_no", "cited_no"),
    "inventors": ("app_no", "name_norm"),
    "navigation_projects": ("project_no",),
    "publications": ("pub_no",),
    "legal_events": ("app_no", "event_date", "event_type", "raw_text"),
    "status_snapshots": ("app_no", "snapshot_date"),
    "abnormal_notices": ("app_no", "notice_date"),
    "claims": ("app_no",),
}

# Tables added after the first release that a reader must do without (a Parquet export of an older warehouse).
LATER_TABLES: tuple[str, ...] = ("applicant_categories", "trademarks", "trademark_events", "market_entities",
                                  "recognitions", "citations", "inventors", "navigation_projects",
                                  "branch_corrections", "branch_predictions", "pledge_contracts", "pledge_items",
                                  "pledge_changes", "abnormal_notices", "claims")

# Columns added after a table was first released: (table, column, type), applied to older
# warehouses when they are opened.
ADDED_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("legal_events", "effective_date", "DATE"),
    ("parties", "town_source", "VARCHAR"),
    ("parties", "country", "VARCHAR"),
)


# Workflow records of people acting on the data (IP finance, docs/finance.md): kept with the warehouse like the
# accounts and the audit log, never exported to Parquet or Spark (a bank's requests are not analytics input).
WORKFLOW_TABLES: dict[str, str] = {
    # A bank's interest in financing an enterprise on some of its patents (融资对接), and the enterprise's answer:
    # status interest → consented | declined | withdrawn (by the bank) → contracted (a pledge registered).
    "financing_requests": """
        request_id VARCHAR PRIMARY KEY,
        bank VARCHAR NOT NULL,
        bank_name VARCHAR NOT NULL,
        enterprise VARCHAR NOT NULL,
        enterprise_name VARCHAR NOT NULL,
        app_nos VARCHAR NOT NULL,
        amount_yuan DECIMAL(18, 2),
        status VARCHAR NOT NULL,
        note VARCHAR,
        created_at TIMESTAMP NOT NULL,
        created_by VARCHAR NOT NULL,
        decided_at TIMESTAMP,
        decided_by VARCHAR,
        contract_no VARCHAR
    """,
    # Interest subsidies (贴息) and risk compensation (风险补偿) per contract and period: applied → approved |
    # rejected → paid.  One row per (scheme, contract, period): a contract is never paid twice for a period.
    "finance_ledger": """
        scheme VARCHAR NOT NULL,
        contract_no VARCHAR NOT NULL,
        period VARCHAR NOT NULL,
        policy_version VARCHAR NOT NULL,
        enterprise VARCHAR NOT NULL,
        bank VARCHAR NOT NULL,
        claimed_yuan DECIMAL(18, 2) NOT NULL,
        computed_yuan DECIMAL(18, 2) NOT NULL,
        approved_yuan DECIMAL(18, 2),
        status VARCHAR NOT NULL,
        trace VARCHAR NOT NULL,
        applied_at TIMESTAMP NOT NULL,
        applied_by VARCHAR NOT NULL,
        decided_at TIMESTAMP,
        decided_by VARCHAR,
        paid_at TIMESTAMP,
        payment_batch VARCHAR,
        PRIMARY KEY (scheme, contract_no, period)
    """,
    # Subsidies and rewards by policy items (资助奖励, docs/subsidies.md): one row per (item, subject, period),
    # subject a patent (app_no) or an enterprise (normalised name).  status: applied → reviewed | rejected →
    # approved | rejected → paid → clawed_back.  event_key names the one event paid (a grant, a certification): a
    # live row holds it, so no other period or policy version pays it again (subsidies/ledger.py).
    "subsidy_ledger": """
        item VARCHAR NOT NULL,
        subject_key VARCHAR NOT NULL,
        period VARCHAR NOT NULL,
        subject_kind VARCHAR NOT NULL,
        subject_name VARCHAR,
        app_no VARCHAR,
        event_key VARCHAR NOT NULL,
        event_date DATE,
        policy_version VARCHAR NOT NULL,
        payee VARCHAR NOT NULL,
        payee_name VARCHAR NOT NULL,
        town_code VARCHAR,
        industry VARCHAR,
        applicant_type VARCHAR,
        computed_yuan DECIMAL(18, 2) NOT NULL,
        approved_yuan DECIMAL(18, 2),
        status VARCHAR NOT NULL,
        trace VARCHAR NOT NULL,
        note VARCHAR,
        applied_at TIMESTAMP NOT NULL,
        applied_by VARCHAR NOT NULL,
        reviewed_at TIMESTAMP,
        reviewed_by VARCHAR,
        decided_at TIMESTAMP,
        decided_by VARCHAR,
        paid_at TIMESTAMP,
        payment_batch VARCHAR,
        clawback_yuan DECIMAL(18, 2),
        clawback_at TIMESTAMP,
        clawback_by VARCHAR,
        clawback_reason VARCHAR,
        PRIMARY KEY (item, subject_key, period)
    """,
    # A person's review of a suspected abnormal application (supervision/reviews.py, docs/abnormal.md): append-only,
    # the latest row per application is its status.  status: cleared (不属于非正常申请) | confirmed (确认为非正常申请).
    # rules and evidence keep what the flags said when it was decided (JSON), so a later change of the rules or the
    # data does not rewrite why the decision was taken.  Confirmed applications are excluded from subsidies
    # (subsidies/rules.py) and, when asked, from the plan's figures.
    "abnormal_reviews": """
        app_no VARCHAR NOT NULL,
        decided_at TIMESTAMP NOT NULL,
        status VARCHAR NOT NULL,
        decided_by VARCHAR NOT NULL,
        note VARCHAR,
        rules VARCHAR NOT NULL,
        evidence VARCHAR NOT NULL,
        PRIMARY KEY (app_no, decided_at)
    """,
    # A unit's progress report on one of the plan's tasks for one reporting period (hvpatent.tasks, docs/tasks.md):
    # append-only, one row per submission; the highest version of (plan_key, task_number, unit, period) is the
    # report, the first one's submitted_at decides timeliness.  figures: JSON list of {"name", "value", "unit"} the
    # unit entered (the linked indicators' figures are computed, not stored).
    "task_reports": """
        report_id VARCHAR PRIMARY KEY,
        plan_key VARCHAR NOT NULL,
        task_number INTEGER NOT NULL,
        unit VARCHAR NOT NULL,
        period VARCHAR NOT NULL,
        version INTEGER NOT NULL,
        text VARCHAR NOT NULL,
        figures VARCHAR NOT NULL,
        submitted_at TIMESTAMP NOT NULL,
        submitted_by VARCHAR NOT NULL,
        UNIQUE (plan_key, task_number, unit, period, version)
    """,
    # A report's attachments, checked before they are stored (tasks/attachments.py): kind pdf | docx | xlsx | png |
    # jpeg, the bytes as received.  Written in the same transaction as the report row.
    "task_report_files": """
        report_id VARCHAR NOT NULL,
        file_no INTEGER NOT NULL,
        file_name VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        media_type VARCHAR NOT NULL,
        size_bytes BIGINT NOT NULL,
        sha256 VARCHAR NOT NULL,
        content BLOB NOT NULL,
        PRIMARY KEY (report_id, file_no)
    """,
    # The bureau's qualitative score (0-100) of a unit for a reporting period, part of the assessment sheet
    # (tasks/assessment.py): append-only, the latest row counts.
    "unit_scores": """
        plan_key VARCHAR NOT NULL,
        unit VARCHAR NOT NULL,
        period VARCHAR NOT NULL,
        score DECIMAL(5, 2) NOT NULL,
        note VARCHAR,
        scored_at TIMESTAMP NOT NULL,
        scored_by VARCHAR NOT NULL,
        PRIMARY KEY (plan_key, unit, period, scored_at)
    """,
    # Issued bulletin editions (hvpatent.schedule, docs/schedule.md): never updated or deleted; a re-issue is the
    # next version, with its changes from the one before (JSON list) and the reason.  edition_id is
    # "{plan_key}/{cadence}/{period}/v{version}".  data_stamp (JSON) says which imports the edition saw; figures
    # (JSON) keep the numbers it printed, so a later version can list what changed.
    "bulletin_editions": """
        edition_id VARCHAR PRIMARY KEY,
        plan_key VARCHAR NOT NULL,
        region VARCHAR NOT NULL,
        cadence VARCHAR NOT NULL,
        period VARCHAR NOT NULL,
        version INTEGER NOT NULL,
        as_of DATE NOT NULL,
        due_on DATE NOT NULL,
        issued_on DATE NOT NULL,
        issued_at TIMESTAMP NOT NULL,
        issued_by VARCHAR NOT NULL,
        data_stamp VARCHAR NOT NULL,
        figures VARCHAR NOT NULL,
        changes VARCHAR NOT NULL,
        reason VARCHAR,
        UNIQUE (plan_key, cadence, period, version)
    """,
    # The files of an edition (docx, xlsx, pdf), their bytes and SHA-256 as issued.
    "bulletin_edition_files": """
        edition_id VARCHAR NOT NULL,
        format VARCHAR NOT NULL,
        file_name VARCHAR NOT NULL,
        size_bytes BIGINT NOT NULL,
        sha256 VARCHAR NOT NULL,
        content BLOB NOT NULL,
        PRIMARY KEY (edition_id, format)
    """,
}


def create_statements() -> list[str]:
    creates = [f"CREATE TABLE IF NOT EXISTS {name} ({cols})"
               for name, cols in (*TABLES.items(), *WORKFLOW_TABLES.items())]
    return creates + [f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {kind}"
                      for table, column, kind in ADDED_COLUMNS]
