#!/usr/bin/python3
"""report_checks - what test_report_cli asks of the report's outputs, with standard tools.

Each subcommand exits 0 when every check holds, else prints what failed and exits 1. The
expected numbers are those of tests/fixtures/report/mail.log for the week of 2026-01-12 (see
test_report_cli.c), unless a subcommand says it is generic.

  json FILE                  json.tool-valid, the documented shape, the fixture's numbers
  csv DIR                    every DIR/*.csv parses as RFC 4180; cells are defused
  html FILE OUTDIR           static checks (self-contained, escaped), then headless Chromium:
                             the visible text holds the headline, titles, numbers and advice
  mail FILE [SUBJECT]        an RFC 5322 message: headers decode, text + HTML + CSV parts
  smtp-sink DIR              a local SMTP server (aiosmtpd) with STARTTLS and AUTH on a free
                             port: writes DIR/port and DIR/cert.pem, then DIR/message.eml and
                             DIR/envelope.json for the first message, and exits
"""
import csv
import email
import email.policy
import email.utils
import glob
import html
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)


def done():
    for f in FAILS:
        print("FAIL:", f)
    sys.exit(1 if FAILS else 0)


# ---------------------------------------------------------------- json

def cmd_json(path):
    raw = open(path, "rb").read()
    r = subprocess.run([sys.executable, "-m", "json.tool", path], capture_output=True)
    check(r.returncode == 0, "python3 -m json.tool rejects it: " + r.stderr.decode()[:300])
    doc = json.loads(raw.decode("utf-8"), parse_constant=lambda c: FAILS.append("constant " + c))
    for key in ["format", "title", "headline", "period", "range", "since", "until", "previous",
                "timezone", "generated", "version", "hosts", "filters", "totals", "series",
                "by_550", "by_count", "categories", "unclassified", "parse"]:
        check(key in doc, "member %s missing" % key)
    t = doc["totals"]
    check(t["failures_550"] == 13, "failures_550 %r != 13" % t["failures_550"])
    check(t["failures"] == 18, "failures %r != 18" % t["failures"])
    check(t["deliveries"] == 10, "deliveries %r" % t["deliveries"])
    check(t["rejections"] == 15 and t["bounces"] == 1 and t["deferrals"] == 2, "kinds %r" % t)
    check(t["attempts"] == 28, "attempts %r" % t["attempts"])
    check(abs(t["rejection_rate"] - 15 / 28) < 1e-3, "rejection_rate %r" % t["rejection_rate"])
    p = doc["previous"]["totals"]
    check(p["failures"] == 8 and p["failures_550"] == 8, "previous totals %r" % p)
    check(doc["by_550"][0] == "recipient_unknown", "by_550 %r" % doc["by_550"])
    check(doc["series"]["unit"] == "day" and len(doc["series"]["buckets"]) == 7,
          "series %r" % doc["series"]["unit"])
    cats = {c["id"]: c for c in doc["categories"]}
    for cid in ["recipient_unknown", "sender_auth_failed", "ip_blocklisted", "greylisted",
                "unclassified"]:
        check(cid in cats, "category %s missing" % cid)
    for c in doc["categories"]:
        check(sum(c["series"]) == c["count"], "%s: series sums to %d, count %d"
              % (c["id"], sum(c["series"]), c["count"]))
        check(c["count"] == c["count_5xx"] + c["count_4xx"] + c["count_no_code"],
              "%s: classes do not add up" % c["id"])
        check(len(c["examples"]) >= 1, "%s: no example" % c["id"])
        for lst in ["recipients", "recipient_domains", "senders", "sender_domains",
                    "client_ips", "helo_names", "relays"]:
            check(lst in c["top"], "%s: top list %s missing" % (c["id"], lst))
    impacts = [c["impact"] for c in doc["categories"]]
    check(impacts == sorted(impacts, reverse=True), "categories not ordered by impact")
    ru = cats["recipient_unknown"]
    check(ru["count"] == 7 and ru["count_550"] == 7 and ru["previous"] == 2, "recipient_unknown %r"
          % {k: ru[k] for k in ["count", "count_550", "previous"]})
    check(ru["top"]["recipients"][0] == {"value": "ghost1@example.com", "count": 3},
          "top recipient %r" % ru["top"]["recipients"][:1])
    check("ghost2@example.com (2)" in (ru["advice"] or ""), "cleanup list not in the advice")
    sa = cats["sender_auth_failed"]
    check(sa["title"] == "Sender domain not authenticated (SPF, DKIM, DMARC)",
          "the admin's title is not used: %r" % sa["title"])
    check("dig +short TXT spoofed.example" in (sa["advice"] or ""), "SPF advice: %r" % sa["advice"])
    check("203.0.113.7" in (sa["advice"] or ""), "SPF advice names no IP")
    check(sa["previous"] == 6 and abs(sa["change_percent"] - (-33.3)) < 0.05,
          "SPF change %r %r" % (sa["previous"], sa["change_percent"]))
    bl = cats["ip_blocklisted"]
    check("zen.spamhaus.org" in (bl["advice"] or "") and "66.2.0.192" in (bl["advice"] or ""),
          "blocklist advice: %r" % bl["advice"])
    check(bl["previous"] == 0, "blocklist previous %r" % bl["previous"])
    un = doc["unclassified"]
    check(un["count"] == 2 and len(un["templates"]) == 2, "unclassified %r" % un)
    hostile = [x for x in un["templates"] if x["template"] and "alert(1)" in x["template"]]
    check(len(hostile) == 1, "the hostile text is not listed as unclassified")
    if hostile:
        h = hostile[0]["template"]
        check("\u001b" in h, "the ESC byte did not survive as \\u001b in JSON")
        check("\ufffd" in h, "invalid UTF-8 was not replaced by U+FFFD")
    check(b"\\u001b" in raw and b"\x1b" not in raw, "raw control bytes in the JSON")
    check(doc["parse"]["unparsed_lines"] == 1 and len(doc["parse"]["unparsed_samples"]) == 1,
          "parse %r" % doc["parse"])
    done()


# ---------------------------------------------------------------- csv

NUMERIC = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


def cmd_csv(d):
    files = sorted(glob.glob(os.path.join(d, "*.csv")))
    check(len(files) >= 8, "expected the tables, found %r" % files)
    for f in files:
        raw = open(f, "rb").read()
        check(raw.endswith(b"\r\n"), "%s: rows do not end in CRLF" % f)
        text = raw.decode("utf-8")  # must be valid UTF-8
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
        check(len(rows) >= 1, "%s: no header" % f)
        width = len(rows[0])
        for i, row in enumerate(rows[1:], 2):
            check(len(row) == width, "%s row %d: %d cells, header has %d" % (f, i, len(row), width))
        for row in rows[1:]:
            for cell in row:
                if cell and cell[0] in "=+-@\t\r" and not NUMERIC.match(cell):
                    FAILS.append("%s: cell %r is a formula" % (f, cell[:40]))
                check("\x1b" not in cell, "%s: raw ESC in a cell" % f)
    top = open(os.path.join(d, "top.csv"), encoding="utf-8").read()
    check("'=hyperlink(" in top, "the hostile sender is not in top.csv, defused")
    check("'-2+3@evil.example" in top, "the sender starting with - is not defused")
    cats = list(csv.DictReader(open(os.path.join(d, "categories.csv"), encoding="utf-8",
                                    newline="")))
    check(cats[0]["category"] == "recipient_unknown", "categories.csv does not start with the 550s")
    check(any("\n" in c["advice"] for c in cats), "advice lost its lines")
    daily = list(csv.reader(open(os.path.join(d, "daily.csv"), encoding="utf-8", newline="")))
    check(len(daily) == 8, "daily.csv: %d rows" % len(daily))
    done()


# ---------------------------------------------------------------- html

VISIBLE_SCRIPT = (
    "<script>window.addEventListener('load',function(){var t=document.body.innerText;"
    "var p=document.createElement('pre');p.id='rl-visible';p.textContent=t;"
    "document.body.innerHTML='';document.body.appendChild(p);});</script>")


def chromium_visible_text(path, outdir):
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    check(exe is not None, "chromium is not installed (scripts/deps test installs it)")
    if exe is None:
        return ""
    page = open(path, encoding="utf-8").read()
    probe = os.path.join(outdir, "visible-probe.html")
    with open(probe, "w", encoding="utf-8") as f:
        f.write(page.replace("</body>", VISIBLE_SCRIPT + "</body>"))
    profile = tempfile.mkdtemp(prefix="rl-chromium-", dir=outdir)
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run",
           "--disable-default-apps", "--user-data-dir=" + profile, "--virtual-time-budget=2000",
           "--dump-dom", "file://" + os.path.abspath(probe)]
    r = subprocess.run(cmd, capture_output=True, timeout=120)
    dom = r.stdout.decode("utf-8", "replace")
    m = re.search(r'<pre id="rl-visible">(.*?)</pre>', dom, re.S)
    check(m is not None, "chromium gave no visible text (exit %d): %s"
          % (r.returncode, r.stderr.decode()[-300:]))
    shutil.rmtree(profile, ignore_errors=True)
    return html.unescape(m.group(1)) if m else ""


def cmd_html(path, outdir, json_path=None):
    raw = open(path, "rb").read()
    page = raw.decode("utf-8")
    tidy = shutil.which("tidy")
    check(tidy is not None, "tidy is not installed (scripts/deps test installs it)")
    if tidy:
        r = subprocess.run([tidy, "-errors", "-q", path], capture_output=True)
        check(r.returncode == 0 and not r.stderr.strip(),
              "tidy -errors -q: exit %d: %s" % (r.returncode, r.stderr.decode()[:500]))
    low = page.lower()
    for bad in ["<script", "<link", "<img", "<iframe", "<object", "<embed", "@import", "url(",
                " src=", "javascript:", "<meta http-equiv"]:
        check(bad not in low, "not self-contained or not escaped: %r" % bad)
    for m in re.finditer(r'href="([^"]*)"', page):
        check(m.group(1).startswith("#"), "a link that leaves the page: %r" % m.group(1))
    check(re.search(r"<[a-z]+[^>]*\son[a-z]+=", low) is None, "an event handler attribute")
    check(b"\x1b" not in raw and b"\x07" not in raw, "raw control bytes in the HTML")
    check("&lt;script&gt;alert(1)&lt;/script&gt;" in page, "the hostile text is not escaped")
    check("<svg" in page and page.count("<svg") >= 2, "the two SVG charts are missing")
    check("viewport" in page and "@media print" in page, "phone or print CSS missing")
    text = chromium_visible_text(path, outdir)
    want = ["13 rejections with code 550", "Recipient address does not exist",
            "Sender domain not authenticated (SPF, DKIM, DMARC)", "Why mail was rejected with 550",
            "What to do, by impact", "dig +short TXT spoofed.example", "203.0.113.7",
            "ghost1@example.com (3)", "zen.spamhaus.org", "66.2.0.192.zen.spamhaus.org",
            "<script>alert(1)</script>", "Texts no rule knows", "How the logs read",
            "Mon 2026-01-12 to Sun 2026-01-18"]
    if json_path:
        doc = json.load(open(json_path, encoding="utf-8"))
        want += [c["title"] for c in doc["categories"]]
        want.append(doc["headline"])
    for w in want:
        check(w in text, "not visible: %r" % w)
    with open(os.path.join(outdir, "visible.txt"), "w", encoding="utf-8") as f:
        f.write(text)
    done()


# ---------------------------------------------------------------- mail

def cmd_mail(path, subject=None):
    raw = open(path, "rb").read()
    head = raw.split(b"\r\n\r\n", 1)[0]
    for line in head.split(b"\r\n"):
        check(len(line) <= 998, "a header line longer than 998")
        check(all(32 <= b < 127 or b == 9 for b in line), "a header line with non-ASCII: %r" % line)
    for line in raw.split(b"\r\n"):
        check(len(line) <= 998, "a line longer than 998 octets")
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    for h in ["Date", "From", "To", "Subject", "Message-ID", "MIME-Version"]:
        check(msg[h] is not None, "header %s missing" % h)
    check(msg.get_all("Bcc") is None, "a Bcc header appeared (header injection)")
    check(re.match(r"^<[^<>@\s]+@[^<>@\s]+>$", str(msg["Message-ID"])) is not None,
          "Message-ID %r" % str(msg["Message-ID"]))
    check(email.utils.parsedate_to_datetime(str(msg["Date"])) is not None, "Date does not parse")
    if subject is not None:
        check(str(msg["Subject"]) == subject, "Subject decodes to %r, not %r"
              % (str(msg["Subject"]), subject))
    check(msg.get_content_type() == "multipart/mixed", "top part %s" % msg.get_content_type())
    parts = list(msg.iter_parts())
    check(len(parts) == 2, "%d parts in multipart/mixed" % len(parts))
    alt = parts[0]
    check(alt.get_content_type() == "multipart/alternative", "first part %s" % alt.get_content_type())
    alts = list(alt.iter_parts())
    types = [p.get_content_type() for p in alts]
    check(types == ["text/plain", "text/html"], "alternatives %r" % types)
    text = alts[0].get_content()
    page = alts[1].get_content()
    check("13 rejections with code 550" in text, "the text part lacks the headline")
    check("dig +short TXT spoofed.example" in text, "the text part lacks the advice")
    check("\x1b" not in text, "a raw ESC in the text part")
    check(page.startswith("<!DOCTYPE html>") and "Why mail was rejected with 550" in page,
          "the HTML part")
    for p in alts:
        check(p["Content-Transfer-Encoding"] == "quoted-printable", "parts are not QP")
    att = parts[1]
    check(att.get_content_disposition() == "attachment", "no attachment")
    check(att.get_filename() == "rejectlens-categories-2026-01-12.csv",
          "attachment name %r" % att.get_filename())
    check(att.get_content_type() == "text/csv", "attachment type %s" % att.get_content_type())
    data = att.get_payload(decode=True).decode("utf-8")
    check(data.startswith("category,title,who,"), "the attachment is not the categories CSV")
    check("recipient_unknown" in data, "the attachment lacks the categories")
    done()


# ---------------------------------------------------------------- smtp sink

def cmd_smtp_sink(d):
    import asyncio
    import ssl
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    got = {"done": False}

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            with open(os.path.join(d, "message.eml"), "wb") as f:
                f.write(envelope.original_content or envelope.content)
            with open(os.path.join(d, "envelope.json"), "w") as f:
                json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                           "tls": session.ssl is not None,
                           "auth": session.authenticated,
                           "login": (session.auth_data.login.decode()
                                     if isinstance(session.auth_data, LoginPassword) else None)}, f)
            got["done"] = True
            return "250 OK"

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == b"reporter"
              and auth_data.password == b"s3cret pass")
        # handled=False: aiosmtpd answers 535 itself (by default it leaves a failure unanswered)
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    ctl = Controller(Handler(), hostname="127.0.0.1", port=port, tls_context=ctx,
                     require_starttls=True, authenticator=authenticator, auth_require_tls=True,
                     auth_required=True)
    ctl.start()
    with open(os.path.join(d, "port.tmp"), "w") as f:
        f.write(str(port))
    os.rename(os.path.join(d, "port.tmp"), os.path.join(d, "port"))
    deadline = time.time() + 90
    while not got["done"] and time.time() < deadline:
        time.sleep(0.05)
    ctl.stop()
    sys.exit(0 if got["done"] else 1)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"json": cmd_json, "csv": cmd_csv, "html": cmd_html, "mail": cmd_mail,
     "smtp-sink": cmd_smtp_sink}[cmd](*args)
