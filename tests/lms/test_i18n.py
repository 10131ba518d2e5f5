from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _po_entries(path: Path):
    """(msgid, msgstr, fuzzy) of each entry, read without a third-party parser."""
    entries, block = [], []
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if line.strip():
            block.append(line)
            continue
        if block:
            entries.append(block)
        block = []
    for block in entries:
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in block)
        text = "\n".join(line for line in block if not line.startswith("#"))
        msgid = _field(text, "msgid")
        msgstr = _field(text, "msgstr") or _field(text, "msgstr[0]")
        if msgid:
            yield msgid, msgstr, fuzzy


def _field(text: str, name: str) -> str:
    out, inside = [], False
    for line in text.splitlines():
        if line.startswith(f"{name} "):
            inside = True
            out.append(line[len(name) + 1 :].strip().strip('"'))
        elif inside and line.startswith('"'):
            out.append(line.strip().strip('"'))
        else:
            inside = False if inside else inside
    return "".join(out)


def test_every_string_has_a_chinese_translation():
    po = ROOT / "locale/zh_Hans/LC_MESSAGES/django.po"
    missing = [msgid for msgid, msgstr, fuzzy in _po_entries(po) if not msgstr or fuzzy]
    assert missing == []


@pytest.mark.django_db
def test_chinese_is_the_default_and_english_is_one_click_away(client):
    page = client.get("/accounts/login/").content.decode()
    assert '<html lang="zh-hans">' in page and "登录" in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    page = client.get("/accounts/login/").content.decode()
    assert '<html lang="en">' in page and "Log in" in page


@pytest.mark.django_db
def test_a_browser_set_to_english_still_gets_chinese_pages_until_the_switch(client):
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "登录" in page
