"""Statement files for tests: the samples beside the app, and CAMT.053 files generated
entry by entry (camt.053.001.02, as the samples)."""

from pathlib import Path
from xml.sax.saxutils import escape

from django.core.files.uploadedfile import SimpleUploadedFile

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def upload(data: bytes, name="statement.dat") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def camt_entry(*, amount, day, text="", name="", reference=None, currency="EUR", debit=False):
    """One booked `<Ntry>`; `amount` unsigned text, `reference` the bank's AcctSvcrRef."""
    ref = f"<AcctSvcrRef>{escape(reference)}</AcctSvcrRef>" if reference else ""
    party = "Cdtr" if debit else "Dbtr"
    return f"""
      <Ntry>
        <Amt Ccy="{currency}">{amount}</Amt>
        <CdtDbtInd>{"DBIT" if debit else "CRDT"}</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><Dt>{day.isoformat()}</Dt></BookgDt>
        <ValDt><Dt>{day.isoformat()}</Dt></ValDt>
        {ref}
        <NtryDtls><TxDtls>
          <RltdPties><{party}><Nm>{escape(name)}</Nm></{party}></RltdPties>
          <RmtInf><Ustrd>{escape(text)}</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>"""


def camt053(entries, *, iban="DE89370400440532013000", statement_id="STMT-1") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>{statement_id}</MsgId><CreDtTm>2026-12-01T06:00:00+01:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>{statement_id}</Id>
      <CreDtTm>2026-12-01T06:00:00+01:00</CreDtTm>
      <Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>EUR</Ccy></Acct>
      {"".join(entries)}
    </Stmt>
  </BkToCstmrStmt>
</Document>""".encode()
