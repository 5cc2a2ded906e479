"""The source table's columns: the seed's MORTGAGE_LENDING_DEMO_DATA, with the types PREPARE_DATA
uses when it creates the table from the staged sample file. One list for the generator, the loader
and the feature code."""

SOURCE_TABLE_COLUMNS = (
    ("LOAN_ID", "NUMBER(38,0)"),
    ("TS", "TIMESTAMP_NTZ"),
    ("LOAN_TYPE_NAME", "VARCHAR"),
    ("LOAN_PURPOSE_NAME", "VARCHAR"),
    ("APPLICANT_INCOME_000S", "NUMBER(38,0)"),
    ("LOAN_AMOUNT_000S", "NUMBER(38,0)"),
    ("COUNTY_NAME", "VARCHAR"),
    ("MORTGAGERESPONSE", "NUMBER(38,0)"),
)

SOURCE_COLUMNS = tuple(name for name, _ in SOURCE_TABLE_COLUMNS)
