import logging
import subprocess

from certificates import rendering


def sample_pdf(tmp_path, **overrides) -> str:
    values = rendering.certificate_values(course_title="社区规划师培育课程", **(rendering.SAMPLE | overrides))
    pdf, refused = rendering.render_pdf(template_html=rendering.DEFAULT_HTML, css=rendering.DEFAULT_CSS, values=values)
    assert refused == []
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    return str(path)


def test_harfbuzz_subsetting_is_available_so_weasyprint_never_falls_back_to_fonttools():
    """Fails on a machine without libharfbuzz-subset0 (certificates would take ~50x longer)."""
    assert rendering.harfbuzz_subset_available(), rendering.check_environment()
    assert rendering.check_environment() == []


def test_worker_logs_an_error_at_start_when_harfbuzz_subsetting_is_missing(monkeypatch, caplog):
    from weasyprint.text import ffi

    from certificates.tasks import check_rendering_environment

    monkeypatch.setattr(ffi, "harfbuzz_subset", None)
    assert rendering.harfbuzz_subset_available() is False
    with caplog.at_level(logging.ERROR, logger="certificates.tasks"):
        check_rendering_environment()
    assert "libharfbuzz-subset0" in caplog.text


def test_rare_character_renders_with_the_named_cjk_font_and_extracts_as_text(tmp_path):
    path = sample_pdf(tmp_path, trainee_name="刘䶮")
    text = subprocess.run(["pdftotext", path, "-"], capture_output=True, text=True, check=True).stdout
    assert "刘䶮" in text and "社区规划师培育课程" in text and "NH-2022-0001" in text
    fonts = subprocess.run(["pdffonts", path], capture_output=True, text=True, check=True).stdout
    names = [line.split()[0] for line in fonts.splitlines()[2:]]
    assert names and all("Certificate-" in name for name in names), fonts  # no generic fallback face
    assert all(line.split()[-5:-2] == ["yes", "yes", "yes"] for line in fonts.splitlines()[2:]), fonts


def test_page_is_a4_landscape(tmp_path):
    info = subprocess.run(["pdfinfo", sample_pdf(tmp_path)], capture_output=True, text=True, check=True).stdout
    assert "Pages:           1" in info
    assert "841.89 x 595.276 pts (A4)" in info


def test_qr_code_points_to_the_public_verification_page(settings):
    settings.LMS_PUBLIC_BASE_URL = "https://lms.example.org"
    assert rendering.verify_url("7K3M-Q9TX-2HDW-8RVB") == "https://lms.example.org/verify/7K3M-Q9TX-2HDW-8RVB/"
    svg = rendering.qr_svg(rendering.verify_url("7K3M-Q9TX-2HDW-8RVB"))
    assert svg.startswith("<svg") and "<path" in svg


def test_user_text_is_escaped_and_unknown_placeholders_vanish():
    html = rendering.fill(
        "{{ trainee_name }}|{{ secret }}|{{ cohort_name }}", {"trainee_name": "<i>x</i>", "cohort_name": "&"}
    )
    assert html == "&lt;i&gt;x&lt;/i&gt;||&amp;"
