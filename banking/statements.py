"""Reading bank statement files (spec 15) into booked entries: ISO 20022 CAMT.053 (pycamt),
SWIFT MT940 (mt-940), OFX 1.x/2.x (ofxtools) and the contract's CSV
`date,amount,currency,reference,counterparty`.

The format is read from the content, never from the file's name or type. Whatever a file
cannot give — a syntax error, an amount that is not a number, a date, a currency — refuses
the whole file with `InvalidStatement` naming the line or element; nothing of it is kept.
Each parser returns `Entry` rows in file order; the keys of spec 15 are built from them by
`banking.models`.
"""

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

import mt940
from lxml import etree
from ofxtools.models import STMTTRN
from ofxtools.models.base import Aggregate
from ofxtools.Parser import OFXTree
from pycamt.parser import Camt053ParseError, Camt053Parser

from banking.exceptions import InvalidStatement
from core.money import MONEY_INTEGER_DIGITS, has_excess_digits, is_currency, quantize

CAMT053 = "camt053"
MT940 = "mt940"
OFX = "ofx"
CSV = "csv"
FORMATS = (CAMT053, MT940, OFX, CSV)
CSV_HEADER = ["date", "amount", "currency", "reference", "counterparty"]
# Bank texts are short; longer values are cut (the whole text still reaches the matcher).
TEXT_LENGTH = 500


@dataclass(frozen=True)
class Entry:
    """One booked entry: `amount` is signed (+ money in, - money out) in `currency`;
    `entry_reference` is the bank's own reference of the entry ("" when it gives none)."""

    account: str
    date: date
    amount: Decimal
    currency: str
    entry_reference: str
    reference: str
    counterparty: str


@dataclass(frozen=True)
class ParsedStatement:
    format: str
    entries: list[Entry]

    @property
    def account(self) -> str:
        accounts = dict.fromkeys(entry.account for entry in self.entries)
        return ", ".join(accounts)


def parse_statement(data: bytes, *, account: str = "") -> ParsedStatement:
    """The booked entries of a statement file. `account` names the account of a CSV file
    (the other formats name their own). Raises `InvalidStatement`."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if b"camt.053" in head or (head.startswith(b"<?xml") and b"<Document" in data[:8192]):
        return ParsedStatement(CAMT053, parse_camt053(data))
    if b"OFXHEADER" in head or b"<OFX>" in data[:8192]:
        return ParsedStatement(OFX, parse_ofx(data))
    if re.match(rb"(\{1:[^}]*\}.*?\{4:\s*)?:20:", head, re.DOTALL):
        return ParsedStatement(MT940, parse_mt940(data))
    first_line = head.split(b"\n", 1)[0].strip().lower().replace(b" ", b"")
    if first_line == ",".join(CSV_HEADER).encode():
        return ParsedStatement(CSV, parse_csv(data, account=account.strip()))
    raise InvalidStatement(
        "line 1: not a CAMT.053, MT940 or OFX statement, nor a CSV file with the header "
        + ",".join(CSV_HEADER)
        + "."
    )


def checked_amount(text, currency: str, *, where: str) -> Decimal:
    """A statement's amount: plain digits with a dot, within the currency's minor unit and
    the stored size."""
    if currency is None or not is_currency(currency):
        raise InvalidStatement(f"{where}: {currency!r} is not an ISO 4217 currency.")
    try:
        amount = Decimal(str(text).strip())
    except (InvalidOperation, ValueError):
        amount = None
    if (
        amount is None
        or not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", str(text).strip())
        # Before the digits are counted: rounding an amount that long to its minor unit
        # exceeds Decimal's precision (InvalidOperation).
        or abs(amount) >= Decimal(10) ** MONEY_INTEGER_DIGITS
        or has_excess_digits(amount, currency)
    ):
        raise InvalidStatement(f"{where}: {text!r} is not an amount in {currency}.")
    return quantize(amount, currency)


def checked_date(text, *, where: str) -> date:
    """A date written YYYY-MM-DD (CAMT's date-times give their date part)."""
    match = re.fullmatch(r"([0-9]{4}-[0-9]{2}-[0-9]{2})(T.*)?", str(text or "").strip())
    try:
        return date.fromisoformat(match.group(1))
    except (AttributeError, ValueError):
        raise InvalidStatement(f"{where}: {text!r} is not a date (YYYY-MM-DD).") from None


def clean(text) -> str:
    """One line of text: runs of white space as one space, at most TEXT_LENGTH characters,
    without NUL (which PostgreSQL's text cannot hold; a file may carry one anywhere)."""
    return " ".join(str(text or "").replace("\x00", "").split())[:TEXT_LENGTH]


def joined(values) -> str:
    return " / ".join(dict.fromkeys(clean(value) for value in values if clean(value)))


# CAMT.053 -----------------------------------------------------------------------------


class EntryParser(Camt053Parser):
    """pycamt's parser, one row per booked entry (`Ntry`) instead of one per transaction
    detail: spec 15 makes each booked entry a bank line, so a batch entry (several `TxDtls`)
    is one line of the entry's amount, with its details' texts and names joined."""

    def _extract_transaction(self, entry, statement):
        details = super()._extract_transaction(entry, statement)
        common = self._extract_common_entry_data(entry, statement)
        debit = common["CreditDebitIndicator"] == "DBIT"
        # The other party: the creditor of money going out, the debtor of money coming in;
        # a reversal names the party of the booking it reverses.
        names = [
            row.get("CreditorName" if debit else "DebtorName")
            or row.get("DebtorName" if debit else "CreditorName")
            for row in details
        ]
        texts = [
            row.get("RemittanceInformationFull") or row.get("RemittanceInformation")
            for row in details
        ]
        where = f"line {entry.sourceline}: <Ntry>"
        return [
            {
                **common,
                "Where": where,
                "Account": self._find_text(statement, ".//Acct//Id//IBAN")
                or self._find_text(statement, ".//Acct//Id//Othr//Id"),
                "Counterparty": joined(names),
                "Text": joined(texts) or clean(common["AdditionalEntryInformation"]),
            }
        ]


def parse_camt053(data: bytes) -> list[Entry]:
    try:
        parser = EntryParser(data)
        rows = parser.get_transactions()
    except etree.XMLSyntaxError as error:
        raise InvalidStatement(f"line {error.lineno}: not well-formed XML ({error.msg}).") from None
    except Camt053ParseError:
        raise InvalidStatement(
            "<Document>: no <Stmt> element (not a CAMT.053 statement)."
        ) from None
    entries = []
    for row in rows:
        # Only booked entries are the bank's word; pending ones come again once booked.
        if (row["Status"] or "BOOK") not in ("BOOK", "BOOKED"):
            continue
        where = row["Where"]
        indicator = row["CreditDebitIndicator"]
        if indicator not in ("CRDT", "DBIT"):
            raise InvalidStatement(f"{where}: <CdtDbtInd> is {indicator!r}, not CRDT or DBIT.")
        if not row["Account"]:
            raise InvalidStatement(f"{where}: its <Stmt> has no <Acct><Id>.")
        amount = checked_amount(row["Amount"], row["Currency"], where=f"{where} <Amt>")
        if amount < 0:
            raise InvalidStatement(f"{where} <Amt>: amounts are unsigned in CAMT.053.")
        entries.append(
            Entry(
                account=clean(row["Account"]),
                date=checked_date(row["BookingDate"], where=f"{where} <BookgDt>"),
                amount=-amount if indicator == "DBIT" else amount,
                currency=row["Currency"],
                entry_reference=clean(row["TransactionID"]),
                reference=row["Text"],
                counterparty=row["Counterparty"],
            )
        )
    return entries


# MT940 --------------------------------------------------------------------------------


def line_of(text: str, fragment: str) -> int:
    """The 1-based line of `text` where `fragment` starts (1 when it is not found)."""
    index = text.find(fragment)
    return text.count("\n", 0, index) + 1 if index >= 0 else 1


def parse_mt940(data: bytes) -> list[Entry]:
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff")
    processors = {"post_transaction_details": [mt940.processors.transaction_details_post_processor]}
    try:
        statements = mt940.parse_statements(
            text, processors=processors, options=mt940.Options.all()
        )
    except (RuntimeError, ValueError, KeyError, InvalidOperation) as error:
        # mt-940 raises RuntimeError(message, tag, value) for a tag its pattern refuses.
        if len(error.args) > 2 and isinstance(error.args[1], mt940.tags.Tag):
            tag, value = error.args[1], str(error.args[2])
            raise InvalidStatement(
                f"line {line_of(text, value)}: :{tag.id}: cannot be read ({value[:80]!r})."
            ) from None
        raise InvalidStatement(f"MT940: {str(error)[:200]}") from None
    entries = []
    for statement in statements:
        account = clean(statement.data.get("account_identification"))
        if not account:
            raise InvalidStatement("MT940 statement without :25: (account identification).")
        for transaction in statement:
            values = transaction.data
            if "amount" not in values:
                continue
            where = f"line {line_of(text, str(values.get('bank_reference') or ''))}: :61:"
            money = values["amount"]
            amount = checked_amount(f"{abs(money.amount)}", money.currency, where=where)
            customer_reference = values.get("customer_reference") or ""
            texts = [
                values.get("purpose") or values.get("transaction_details"),
                "" if customer_reference.upper() == "NONREF" else customer_reference,
            ]
            entries.append(
                Entry(
                    account=account,
                    date=values.get("entry_date") or values["date"],
                    amount=-amount if money.amount < 0 else amount,
                    currency=money.currency,
                    entry_reference=clean(values.get("bank_reference")),
                    reference=joined(texts),
                    counterparty=clean(values.get("applicant_name")),
                )
            )
    return entries


# OFX ----------------------------------------------------------------------------------


def ofx_fault(element, error) -> str:
    """What of an OFX aggregate cannot be read: the first child whose value its element type
    refuses (`<TRNAMT>`: 'twelve' ...), else the library's message."""
    for child in element:
        for cls in STMTTRN.__mro__:
            field = cls.__dict__.get(child.tag.lower())
            if field is not None and hasattr(field, "convert") and child.text is not None:
                try:
                    field.convert(child.text)
                except Exception:
                    return f"<{child.tag}> {child.text!r} cannot be read"
                break
    return str(error)[:200] or type(error).__name__


def parse_ofx(data: bytes) -> list[Entry]:
    tree = OFXTree()
    try:
        tree.parse(io.BytesIO(data))
    except Exception as error:  # ofxtools' header and SGML/XML errors share no base class
        # Only the message's first line: the header error goes on to quote the file.
        message = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise InvalidStatement(f"OFX: {message[:200]}") from None
    # Convert transaction by transaction first, so a refusal names the one at fault.
    for position, element in enumerate(tree._root.iter("STMTTRN"), start=1):
        try:
            Aggregate.from_etree(element)
        except Exception as error:
            where = f"<STMTTRN> #{position} (FITID {element.findtext('FITID') or '?'})"
            raise InvalidStatement(f"{where}: {ofx_fault(element, error)}") from None
    try:
        ofx = tree.convert()
    except Exception as error:
        raise InvalidStatement(f"<OFX>: {str(error)[:200] or type(error).__name__}") from None
    entries = []
    for statement in ofx.statements:
        account = clean(getattr(statement.account, "acctid", ""))
        for position, transaction in enumerate(statement.banktranlist or [], start=1):
            where = f"<STMTTRN> #{position} (FITID {transaction.fitid})"
            # A CURRENCY aggregate states the amount in another currency; ORIGCURRENCY only
            # says what it was converted from (the amount is in the statement's CURDEF).
            currency = transaction.currency.cursym if transaction.currency else statement.curdef
            entries.append(
                Entry(
                    account=account,
                    date=transaction.dtposted.date(),
                    amount=checked_amount(f"{transaction.trnamt:f}", currency, where=where),
                    currency=currency,
                    entry_reference=clean(transaction.fitid),
                    reference=clean(transaction.memo),
                    counterparty=clean(transaction.name or getattr(transaction.payee, "name", "")),
                )
            )
    return entries


# CSV ----------------------------------------------------------------------------------


def parse_csv(data: bytes, *, account: str) -> list[Entry]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InvalidStatement(f"line {line}: not UTF-8 text.") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    entries = []
    try:
        for row in reader:
            if reader.line_num == 1 or not any(cell.strip() for cell in row):
                continue
            where = f"line {reader.line_num}"
            if len(row) != len(CSV_HEADER):
                raise InvalidStatement(
                    f"{where}: {len(row)} columns, expected {len(CSV_HEADER)} "
                    f"({','.join(CSV_HEADER)})."
                )
            day, amount, currency, reference, counterparty = (cell.strip() for cell in row)
            entries.append(
                Entry(
                    account=account,
                    date=checked_date(day if "T" not in day else "", where=f"{where}, date"),
                    amount=checked_amount(amount, currency.upper(), where=f"{where}, amount"),
                    currency=currency.upper(),
                    entry_reference="",
                    reference=clean(reference),
                    counterparty=clean(counterparty),
                )
            )
    except csv.Error as error:
        raise InvalidStatement(f"line {reader.line_num}: {error}.") from None
    return entries
