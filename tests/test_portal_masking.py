"""Documents a resident downloads (当事人查询) carry the other parties' ID numbers and phones
masked (DOMAIN §6), unless the lookup was proved with the ID number's tail; the party's own
particulars stay. Read back with pdftotext."""

import re
import subprocess

import pytest

from mediation.documents import service as documents
from mediation.models import DocumentKind, PortalLookup
from mediation.portal import service as portal
from mediation.privacy import mask_id_number, mask_phone

from factories import ID_FEMALE, ID_MALE
from test_documents import working_case

OWN_PHONE, OTHER_PHONE = "13812345678", "13987654321"  # of the applicant, of the respondent


def text_of(pdf: bytes) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return re.sub(r"\s+", "", done.stdout.decode())


@pytest.fixture
def printed(world):
    case = working_case(world)
    document = documents.generate_document(
        case, world["mediator1"], DocumentKind.AGREEMENT, case.agreement.id
    )
    return case, document


def download(client, case, document, proof: str):
    response = client.post("/portal", data={"number": case.number, "proof": proof})
    assert response.status_code == 302
    response = client.get(f"/portal/documents/{document.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    return response.data


def test_a_lookup_by_phone_downloads_the_other_parties_id_numbers_masked(client, printed):
    case, document = printed
    text = text_of(download(client, case, document, OWN_PHONE))
    assert ID_MALE in text and OWN_PHONE in text  # the party's own particulars stay
    assert ID_FEMALE not in text and OTHER_PHONE not in text
    assert mask_id_number(ID_FEMALE) in text and mask_phone(OTHER_PHONE) in text
    assert "其他当事人的公民身份号码和联系电话已部分隐去" in text
    assert document.code in text  # the same verification code as the official copy
    # The official copy the committee keeps is untouched, with every particular in full.
    official = text_of(documents.read_document(document))
    assert ID_FEMALE in official and OTHER_PHONE in official
    page = client.get("/portal/case").get_data(as_text=True)
    assert "已部分隐去" in page


def test_the_other_party_gets_the_first_partys_id_number_masked(client, printed):
    case, document = printed
    text = text_of(download(client, case, document, OTHER_PHONE))
    assert ID_FEMALE in text and ID_MALE not in text and mask_id_number(ID_MALE) in text


def test_a_lookup_by_id_number_tail_downloads_the_official_copy(client, printed):
    case, document = printed
    data = download(client, case, document, ID_MALE[-6:])
    assert data == documents.read_document(document)
    assert ID_FEMALE in text_of(data)


def test_masking_is_decided_by_how_the_party_identified():
    assert portal.masks_other_ids(PortalLookup(by_id_tail=False))
    assert not portal.masks_other_ids(PortalLookup(by_id_tail=True))
