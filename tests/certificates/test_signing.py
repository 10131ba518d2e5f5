"""District keys, the PAdES signature, PDF/A-3a and the compact fonts of every certificate PDF."""

import contextlib
import io
import logging
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest
from django.core.management import CommandError, call_command

from certificates import rendering, services, signing
from certificates.models import Certificate, CertificateStatus
from tests.certificates.conftest import certificate_bytes

DC, RDF = "http://purl.org/dc/elements/1.1/", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
PYHANKO = str(Path(sys.executable).parent / "pyhanko")


def run(*args) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


# --- keys ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_keygen_stores_an_encrypted_key_and_a_certificate_naming_the_issuing_body(world):
    from certificates.models import SigningKey

    out = io.StringIO()
    call_command("certificates_keygen", district=world.district.code, issuer="佛山市南海区民政局", stdout=out)
    row = SigningKey.objects.get(owner=world.district.code.lower())
    assert b"PRIVATE KEY" not in bytes(row.private_key)  # encrypted under the key-encryption key
    key = signing.load_district_key(world.district.code)
    assert key.issuer_name == "佛山市南海区民政局" and key.public.pk == row.pk
    assert key.public.fingerprint in out.getvalue() and key.public.kid in out.getvalue()
    # Never a second key by accident, on this host or any other: certificates name the published one.
    with pytest.raises(CommandError, match=r"already has a published signing key.*--rotate"):
        call_command("certificates_keygen", district=world.district.code, stdout=io.StringIO())
    call_command("certificates_keygen", district=world.district.code, if_missing=True, stdout=io.StringIO())
    assert list(SigningKey.objects.filter(owner=world.district.code.lower())) == [row]


@pytest.mark.django_db
def test_keygen_refuses_an_unknown_district_and_writes_nothing():
    from certificates.models import SigningKey

    before = SigningKey.objects.count()
    with pytest.raises(CommandError, match="No district"):
        call_command("certificates_keygen", district="nowhere", stdout=io.StringIO())
    assert SigningKey.objects.count() == before


@pytest.mark.django_db
def test_a_host_with_another_key_encryption_key_cannot_read_the_keys_and_says_so(world, settings):
    signing.generate_district_key(district_code=world.district.code, issuer_name="佛山市南海区民政局")
    settings.LMS_KEY_ENCRYPTION_KEY = "b3RoZXItaG9zdC1rZXktZW5jcnlwdGlvbi1rZXktMzI="
    with pytest.raises(signing.KeyNotReadableHere, match="LMS_KEY_ENCRYPTION_KEY does not open"):
        signing.load_district_key(world.district.code)
    settings.LMS_KEY_ENCRYPTION_KEY = ""
    with pytest.raises(signing.KeyNotReadableHere, match="LMS_KEY_ENCRYPTION_KEY is not set"):
        signing.load_district_key(world.district.code)


@pytest.mark.django_db
def test_worker_warm_up_loads_and_checks_every_usable_key_once_and_skips_an_unreadable_one(world):
    from certificates.models import SigningKey

    good = signing.generate_district_key(district_code=world.district.code, issuer_name="佛山市南海区民政局")
    broken = signing.generate_district_key(district_code=world.other_cohort.district.code, issuer_name="顺德")
    SigningKey.objects.filter(pk=broken.public.pk).update(private_key=b"v1" + b"0" * 40)
    signing._kept_keys.clear()
    signing.warm_up()
    key = signing.load_district_key(world.district.code)
    assert key is signing._kept_keys[good.public.fingerprint]  # loaded by the warm-up, not now
    assert "pdf_signer" in key.__dict__ and "private_jwk" in key.__dict__


def trust_file(tmp_path, client, code: str):
    """The district's published certificates (every key that ever signed), as any verifier downloads them."""
    response = client.get(f"/issuers/{code}/certificate.pem")
    assert response.status_code == 200
    path = tmp_path / f"{code}.pem"
    path.write_bytes(response.content)
    return path


# --- the signed archival PDF -----------------------------------------------------------------------


@pytest.mark.django_db
def test_issued_pdf_verifies_in_pyhankos_validator_signed_by_the_district(signed_certificate, tmp_path, client):
    path = tmp_path / "certificate.pdf"
    data = certificate_bytes(signed_certificate)
    path.write_bytes(data)
    assert signed_certificate.sha256 == rendering.sha256_of(data)  # the hash is that of the signed file
    trust = trust_file(tmp_path, client, signed_certificate.cohort.district.code)
    report = run(PYHANKO, "sign", "validate", "--pretty-print", "--trust", str(trust), "--trust-replace", str(path))
    assert "The signature is judged VALID." in report
    assert "The signature covers the entire file." in report
    assert "佛山市南海区民政局" in report


@pytest.mark.django_db
def test_every_signature_names_the_district_certificate_with_the_attribute_encoded_once_per_key(signing_keys):
    """PAdES' signed attributes: content type, digest and signing-certificate-v2 (the signer certificate's
    SHA-256), as pyHanko builds them; kept on the key's signer rather than rebuilt per PDF (7 ms of 25)."""
    import hashlib

    from pyhanko.pdf_utils.reader import PdfFileReader

    key = signing.district_key_of(signing_keys)
    assert key.pdf_signer.signed_attr_prov_spec is key.pdf_signer.signed_attr_prov_spec is not None
    pdf, _refused = rendering.render_pdf(template_html="<p>刘䶮</p>", css="", values={})
    attributes = []
    for _ in range(2):
        signed = PdfFileReader(io.BytesIO(signing.sign_pdf(pdf, key))).embedded_signatures[0]
        attributes.append({a["type"].native: a["values"][0] for a in signed.signer_info["signed_attrs"]})
    first, second = attributes
    assert set(first) == {"content_type", "message_digest", "signing_certificate_v2"}
    ess = first["signing_certificate_v2"]["certs"][0]
    assert ess["cert_hash"].native == hashlib.sha256(key.public.certificate_der).digest()
    assert ess["issuer_serial"]["serial_number"].native == key.public.certificate.serial_number
    assert first["signing_certificate_v2"].dump() == second["signing_certificate_v2"].dump()


@pytest.mark.django_db
def test_pyhankos_validator_catches_a_copy_with_one_byte_changed(signed_certificate, tmp_path, client):
    data = bytearray(certificate_bytes(signed_certificate))
    data[len(data) // 3] ^= 0x01
    path = tmp_path / "altered.pdf"
    path.write_bytes(bytes(data))
    trust = trust_file(tmp_path, client, signed_certificate.cohort.district.code)
    result = subprocess.run(
        [PYHANKO, "sign", "validate", "--pretty-print", "--trust", str(trust), "--trust-replace", str(path)],
        capture_output=True,
        text=True,
    )
    assert "judged VALID" not in result.stdout


@pytest.mark.django_db
def test_pdf_is_tagged_pdfa3a_with_xmp_title_issuer_date_and_language(signed_certificate, tmp_path):
    from pyhanko.pdf_utils.reader import PdfFileReader

    data = certificate_bytes(signed_certificate)
    reader = PdfFileReader(io.BytesIO(data))
    xmp = reader.root["/Metadata"].get_object().data.decode()
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="A"' in xmp
    assert f"{signed_certificate.course_title}结业证书 {signed_certificate.serial}" in xmp  # dc:title
    issuer = signed_certificate.issuing_body or "佛山市南海区民政局"
    packet = xmp[xmp.index("<x:xmpmeta") : xmp.index("</x:xmpmeta>") + len("</x:xmpmeta>")]
    root = ElementTree.fromstring(packet)  # noqa: S314 -- the file this test just made

    def values(name):
        return [li.text for element in root.iter(f"{{{DC}}}{name}") for li in element.iter(f"{{{RDF}}}li")]

    assert values("publisher") == [issuer] and values("creator") == [issuer]
    assert values("language") == ["zh-Hans"]
    assert values("date") == [signed_certificate.issued_on.isoformat()]
    assert str(reader.root["/Lang"]) == "zh-Hans"
    assert bool(reader.root["/MarkInfo"]["/Marked"]) and "/StructTreeRoot" in reader.root
    path = tmp_path / "c.pdf"
    path.write_bytes(data)
    assert "Tagged:          yes" in run("pdfinfo", str(path))
    assert "credential.json" in run("pdfdetach", "-list", str(path))


@pytest.mark.django_db
def test_rare_names_still_extract_as_text_and_a_visible_line_says_who_signed(signed_certificate, tmp_path):
    path = tmp_path / "c.pdf"
    path.write_bytes(certificate_bytes(signed_certificate))
    text = run("pdftotext", str(path), "-")
    assert "刘䶮" in text
    assert "本证书由佛山市南海区民政局数字签名" in text


def test_fill_adds_the_signature_line_to_a_template_saved_before_signing_existed():
    line = "本证书由佛山市南海区民政局数字签名"
    old_template = "<html><body><p>{{ trainee_name }}</p></body></html>"
    filled = rendering.fill(old_template, {"trainee_name": "刘䶮", "signature_line": line})
    assert filled.index(line) < filled.index("</body>") and 'class="lms-signature-line"' in filled
    own = rendering.fill("<p>{{ signature_line }}</p>", {"signature_line": line})
    assert own.count(line) == 1 and "lms-signature-line" not in own


def render_sample(name: str, *, compact: bool) -> bytes:
    """The sample certificate as an archival PDF, with or without the font compaction."""
    from certificates import fonts

    archival = rendering.Archival(
        title="结业证书", issuer="佛山市南海区民政局", issued_on=rendering.SAMPLE["issued_on"]
    )
    values = rendering.certificate_values(
        course_title="社区规划师培育课程", signature_line="本证书由佛山市南海区民政局数字签名", **rendering.SAMPLE
    )
    values["trainee_name"] = name
    original = fonts.compact_subsetting
    try:
        if not compact:  # WeasyPrint's own subsetting, as a plain render embeds
            fonts.compact_subsetting = contextlib.nullcontext
        pdf, _refused = rendering.render_pdf(
            template_html=rendering.DEFAULT_HTML, css=rendering.DEFAULT_CSS, values=values, archival=archival
        )
    finally:
        fonts.compact_subsetting = original
    return pdf


def test_compact_fonts_keep_every_glyph_drawn_the_same_and_the_pdf_under_80_kb(tmp_path):
    """Issue 14: ~400 KB to under 80 KB. Same look: the two renders differ only in anti-aliasing at edges."""
    from PIL import Image, ImageChops

    name = "刘䶮𠮷"
    full, compact = render_sample(name, compact=False), render_sample(name, compact=True)
    assert len(full) > 300_000 and len(compact) < 60_000  # + ~10 KB of signature stays under 80 KB
    images = []
    for label, data in (("full", full), ("compact", compact)):
        (tmp_path / f"{label}.pdf").write_bytes(data)
        run("pdftoppm", "-r", "72", "-png", "-singlefile", str(tmp_path / f"{label}.pdf"), str(tmp_path / label))
        images.append(Image.open(tmp_path / f"{label}.png").convert("L"))
        fonts = run("pdffonts", str(tmp_path / f"{label}.pdf")).splitlines()[2:]
        assert fonts and all(line.split()[-5:-2] == ["yes", "yes", "yes"] for line in fonts)
    difference = ImageChops.difference(*images).point(lambda value: 255 if value > 96 else 0)
    histogram = difference.histogram()
    assert histogram[255] < 0.002 * images[0].width * images[0].height, histogram[255]
    text = run("pdftotext", str(tmp_path / "compact.pdf"), "-")
    assert name in text and "社区规划师培育课程" in text
    assert "CID Type 0C " in run("pdffonts", str(tmp_path / "compact.pdf"))


def test_compact_font_maps_each_code_to_the_glyph_it_had():
    """The charset names each kept glyph by its old number: the outline behind every code is unchanged.

    Subset straight from a face of the font collection, as archival renders do (index 2: not the first).
    """
    from fontTools.cffLib import CFFFontSet
    from fontTools.pens.recordingPen import RecordingPen
    from fontTools.ttLib import TTFont

    from certificates.fonts import compact_cff

    source = rendering.font_files()["serif"].read_bytes()
    used = {0, 3, 1200, 20000, 45000}
    compact = compact_cff(source, used, index=2)
    old_font = TTFont(io.BytesIO(source), fontNumber=2, lazy=True)
    old_glyphs, old_order = old_font.getGlyphSet(), old_font.getGlyphOrder()
    cff = CFFFontSet()
    cff.decompile(io.BytesIO(compact), None)
    top = cff[cff.fontNames[0]]
    assert len(top.charset) == len(used)
    for name in top.charset[1:]:
        gid = int(name[3:])
        new_pen, old_pen = RecordingPen(), RecordingPen()
        top.CharStrings[name].draw(new_pen)
        old_glyphs[old_order[gid]].draw(old_pen)
        assert new_pen.value == old_pen.value and new_pen.value, gid


def test_archival_render_subsets_each_cjk_face_once_and_plain_renders_keep_weasyprints_subsetting(
    tmp_path, monkeypatch
):
    """Issue 14: WeasyPrint's two retain-GID passes over a 65,535-glyph face were ~30 % of a certificate.

    In an archival render only a face the compact subsetter cannot take (DejaVu, TrueType, for the ğ) goes
    through WeasyPrint's own subsetting; a plain render (template preview) is WeasyPrint's alone.
    """
    from weasyprint.pdf.fonts import Font

    from certificates import fonts

    rendering.warm_up(certificates=True)  # installs the subsetter and keeps the faces
    kept = set(fonts._faces)
    weasyprint_subset = Font.lms_weasyprint_subset
    subset_by_weasyprint = []

    def spy(font, to_unicode, hinting):
        subset_by_weasyprint.append(font.family)
        return weasyprint_subset(font, to_unicode, hinting)

    monkeypatch.setattr(Font, "lms_weasyprint_subset", spy)
    archival = render_sample("Doğan 刘䶮", compact=True)
    assert subset_by_weasyprint and set(subset_by_weasyprint) <= {"DejaVu Sans"}, subset_by_weasyprint
    assert set(fonts._faces) == kept  # the faces warm_up loaded, not loaded again
    (tmp_path / "archival.pdf").write_bytes(archival)
    listing = run("pdffonts", str(tmp_path / "archival.pdf"))
    kinds = {line.split()[0].split("+")[1]: " ".join(line.split()[1:-6]) for line in listing.splitlines()[2:]}
    assert kinds.pop("DejaVu-Sans-Bold") == "CID TrueType" and set(kinds.values()) == {"CID Type 0C"}, listing
    assert "Doğan 刘䶮" in run("pdftotext", str(tmp_path / "archival.pdf"), "-")

    subset_by_weasyprint.clear()
    values = rendering.certificate_values(course_title="社区规划师培育课程", **rendering.SAMPLE)
    plain, _refused = rendering.render_pdf(
        template_html=rendering.DEFAULT_HTML, css=rendering.DEFAULT_CSS, values=values
    )
    assert len(subset_by_weasyprint) == 4 and set(subset_by_weasyprint) == {"Certificate Serif", "Certificate Sans"}
    (tmp_path / "plain.pdf").write_bytes(plain)
    plain_listing = run("pdffonts", str(tmp_path / "plain.pdf")).splitlines()[2:]
    assert plain_listing and all("CID Type 0C (OT)" in line for line in plain_listing), plain_listing


def test_a_face_drawing_the_same_glyphs_again_is_not_subset_again(monkeypatch, tmp_path):
    """The body text is the same on every certificate of a cohort: its face is subset once, not per PDF."""
    from certificates import fonts

    rendering.warm_up(certificates=True)
    compacted = []
    compact = fonts._compact
    monkeypatch.setattr(fonts, "_compact", lambda face, used: compacted.append(len(used)) or compact(face, used))
    render_sample("刘䶮𠮷", compact=True)
    first = len(compacted)
    render_sample("刘䶮𠮷", compact=True)
    assert len(compacted) == first  # the same certificate again: every program kept
    other = render_sample("陈𠮷䶮", compact=True)
    assert len(compacted) == first + 1  # another name: only the bold face the name is set in
    (tmp_path / "other.pdf").write_bytes(other)
    assert "陈𠮷䶮" in run("pdftotext", str(tmp_path / "other.pdf"), "-")


# --- never issued unsigned ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("damage", ["missing", "unreadable"])
def test_missing_or_unreadable_key_leaves_the_certificate_pending_with_a_clear_error(
    certified_world, settings, caplog, damage
):
    from certificates.models import SigningKey
    from certificates.tasks import render_certificate

    advice = "certificates_keygen"
    if damage == "unreadable":
        settings.LMS_KEY_ENCRYPTION_KEY = "b3RoZXItaG9zdC1rZXktZW5jcnlwdGlvbi1rZXktMzI="
        advice = "LMS_KEY_ENCRYPTION_KEY"
    w = certified_world
    services.certificate_issue_batch(cohort=w.cohort, actor=w.staff, enrolment_ids=[w.done.pk])
    if damage == "missing":
        SigningKey.objects.all().delete()  # after issuing (which refuses without a key): a key lost on the way
    certificate = Certificate.objects.get(enrolment=w.done)
    with caplog.at_level(logging.ERROR, logger="certificates.tasks"):
        result = render_certificate.apply(args=[certificate.pk])
    if damage == "missing":  # the district's: nothing any worker can do until the operator makes the key
        assert result.failed() and isinstance(result.result, signing.SigningKeyUnavailable)
        assert "left pending" in caplog.text
    else:  # this host's: it leaves the queue and the message goes back for a host that can sign
        assert not result.successful() and "leaves them on the queue for other workers" in caplog.text
    assert advice in caplog.text
    certificate.refresh_from_db()
    assert (certificate.status, certificate.pdf.name, certificate.sha256, certificate.attempts) == (
        CertificateStatus.PENDING,
        "",
        "",
        0,
    )
