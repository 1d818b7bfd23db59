#!/usr/bin/python3
"""report_checks - what test_report_cli asks of the report's outputs, with standard tools.

Each subcommand exits 0 when every check holds, else prints what failed and exits 1. The
expected numbers are those of tests/fixtures/report/mail.log for the week of 2026-01-12 (see
test_report_cli.c), unless a subcommand says it is generic.

  json FILE                  json.tool-valid, the documented shape, the fixture's numbers
  csv DIR                    every DIR/*.csv parses as RFC 4180; cells are defused
  html FILE OUTDIR           static checks (self-contained, escaped), then headless Chromium:
                             the visible text holds the headline, titles, numbers and advice
  dom FILE OUTDIR [TEXT...]  generic: the DOM headless Chromium builds from the page has no
                             active content (no script, no event handler attribute, no URL
                             but a #fragment, no frame, form, embed or refresh), no script
                             ran, each TEXT is visible as text; and the page's
                             Content-Security-Policy stops a script planted in a copy
  mail FILE [SUBJECT]        an RFC 5322 message: headers decode, text + HTML + CSV parts
  text-safe FILE...          generic: valid UTF-8, no control character but TAB and LF (C0,
                             DEL, C1), no bidirectional override: safe to show on a terminal
  csv-safe DIR               generic: every DIR/*.csv is valid UTF-8 and RFC 4180, every row
                             as wide as its header, no cell a formula, no raw control character
  json-safe FILE...          generic: each file valid UTF-8 holding JSON (one document, or one
                             per line), no raw control character
  mail-safe FILE             generic: an RFC 5322 message whose header is ASCII lines of at
                             most 998, with one each of Date, From, To, Subject, Message-ID,
                             MIME-Version and nothing a log could have added
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

# the report's Content-Security-Policy (report/writers.h), and the same with room for the
# probes this file plants in a copy of a page (each carries the nonce)
CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
CSP_META = '<meta http-equiv="Content-Security-Policy" content="%s">' % CSP
PROBE_NONCE = "rlprobe"

VISIBLE_SCRIPT = (
    "<script nonce='" + PROBE_NONCE + "'>window.addEventListener('load',function(){"
    "var t=document.body.innerText;"
    "var p=document.createElement('pre');p.id='rl-visible';p.textContent=t;"
    "document.body.innerHTML='';document.body.appendChild(p);});</script>")


def with_probe(page, head="", body=""):
    """the page with scripts planted at the start of <head> and the end of <body>, and its
    policy opened to them (and to them only)"""
    check(page.count(CSP_META) == 1, "the Content-Security-Policy meta element is missing")
    page = page.replace(CSP_META, CSP_META.replace(
        CSP, CSP + "; script-src 'nonce-%s'" % PROBE_NONCE), 1)
    page = page.replace("<head>", "<head>" + head, 1)
    return page.replace("</body>", body + "</body>")


def chromium_dom(page, outdir, name):
    """the DOM headless Chromium builds from page (a string), serialized after load"""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    check(exe is not None, "chromium is not installed (scripts/deps test installs it)")
    if exe is None:
        return ""
    probe = os.path.join(outdir, name)
    with open(probe, "w", encoding="utf-8") as f:
        f.write(page)
    profile = tempfile.mkdtemp(prefix="rl-chromium-", dir=outdir)
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run",
           "--disable-default-apps", "--user-data-dir=" + profile, "--virtual-time-budget=2000",
           "--dump-dom", "file://" + os.path.abspath(probe)]
    r = subprocess.run(cmd, capture_output=True, timeout=120)
    shutil.rmtree(profile, ignore_errors=True)
    dom = r.stdout.decode("utf-8", "replace")
    check(dom.strip() != "", "chromium gave no DOM (exit %d): %s"
          % (r.returncode, r.stderr.decode()[-300:]))
    return dom


def chromium_visible_text(path, outdir):
    page = open(path, encoding="utf-8").read()
    dom = chromium_dom(with_probe(page, body=VISIBLE_SCRIPT), outdir, "visible-probe.html")
    m = re.search(r'<pre id="rl-visible">(.*?)</pre>', dom, re.S)
    check(m is not None, "chromium gave no visible text")
    return html.unescape(m.group(1)) if m else ""


# DOM_PROBE: record any call a planted script would make (alert and friends, navigation by
# window.open); after load, walk every element of the DOM the browser built and list what is
# active: script elements (but the probes), event handler attributes, URLs that are not a
# #fragment (href, src, action, ... and url() in a style), frames, forms, embeds, a base or a
# refresh. The result, with the visible text, goes into <pre id="rl-dom"> as JSON.
DOM_HEAD = (
    "<script nonce='" + PROBE_NONCE + "' id='rl-probe-head'>window.__rlRan=[];"
    "['alert','confirm','prompt','print','open'].forEach(function(f){"
    "window[f]=function(x){window.__rlRan.push(f+':'+x);};});</script>")
DOM_BODY = (
    "<script nonce='" + PROBE_NONCE + "' id='rl-probe-body'>"
    "window.addEventListener('load',function(){"
    "var bad=[],urls=['href','src','action','formaction','xlink:href','data','poster',"
    "'background','srcset','ping','cite','longdesc','codebase','manifest','icon','lowsrc',"
    "'dynsrc'],tags=['script','iframe','frame','frameset','object','embed','applet','form',"
    "'input','button','base','link','img','video','audio','source','track','portal',"
    "'foreignobject','animate','set','use','image','feimage','handler','listener'];"
    "var els=document.getElementsByTagName('*');"
    "for(var i=0;i<els.length;i++){var e=els[i],t=e.localName.toLowerCase();"
    "if(e.id==='rl-probe-head'||e.id==='rl-probe-body')continue;"
    "if(tags.indexOf(t)>=0)bad.push('element <'+t+'>');"
    "if(t==='meta'&&e.getAttribute('http-equiv')&&"
    "e.getAttribute('http-equiv').toLowerCase()!=='content-security-policy')"
    "bad.push('meta http-equiv '+e.getAttribute('http-equiv'));"
    "for(var j=0;j<e.attributes.length;j++){var a=e.attributes[j],n=a.name.toLowerCase(),"
    "v=a.value.replace(/[\\s\\u0000-\\u001f]/g,'').toLowerCase();"
    "if(n.indexOf('on')===0)bad.push('handler '+n+' on <'+t+'>');"
    "if(urls.indexOf(n)>=0&&v.charAt(0)!=='#')bad.push('url '+n+'='+a.value+' on <'+t+'>');"
    "if(n==='style'&&/url\\(|expression\\(|@import|javascript:/.test(v))"
    "bad.push('style '+a.value);}}"
    "var css=document.getElementsByTagName('style');"
    "for(var k=0;k<css.length;k++){if(/url\\(|@import|expression\\(|javascript:/i.test("
    "css[k].textContent))bad.push('css fetches or runs');}"
    "var out={bad:bad,ran:window.__rlRan,text:document.body.innerText,title:document.title};"
    "var p=document.createElement('pre');p.id='rl-dom';p.textContent=JSON.stringify(out);"
    "document.body.innerHTML='';document.body.appendChild(p);});</script>")


def cmd_dom(path, outdir, *texts):
    raw = open(path, "rb").read()
    page = raw.decode("utf-8")  # must be valid UTF-8
    check(page.count(CSP_META) == 1, "the page has not its Content-Security-Policy")
    dom = chromium_dom(with_probe(page, DOM_HEAD, DOM_BODY), outdir, "dom-probe.html")
    m = re.search(r'<pre id="rl-dom">(.*?)</pre>', dom, re.S)
    check(m is not None, "the DOM probe gave nothing")
    if m:
        out = json.loads(html.unescape(m.group(1)))
        for b in out["bad"]:
            FAILS.append("active content in the DOM: " + b[:200])
        for r in out["ran"]:
            FAILS.append("a script from the page ran: " + r[:200])
        for t in texts:
            check(t in out["text"], "not visible as text: %r" % t)
        with open(os.path.join(outdir, "dom-visible.txt"), "w", encoding="utf-8") as f:
            f.write(out["text"])
    # the policy holds on its own: a script and a handler planted in a copy do not run
    planted = page.replace("</body>", "<script>document.title='rl-csp-broken'</script>"
                           "<img src=x onerror=\"document.title='rl-csp-broken'\"></body>")
    dom = chromium_dom(planted, outdir, "csp-probe.html")
    check("<title>rl-csp-broken" not in dom and dom.strip() != "",
          "the Content-Security-Policy did not stop a planted script")
    done()


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
    check(page.count(CSP_META) == 1, "the Content-Security-Policy meta element is missing")
    low = low.replace(CSP_META.lower(), "", 1)
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


# ---------------------------------------------------------------- generic safety

BIDI = set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A)) | {0x200E, 0x200F, 0x061C}


def unsafe_chars(text, allow="\t\n"):
    """the characters of text a terminal or a spreadsheet could act on"""
    return sorted({"U+%04X" % ord(c) for c in text if c not in allow and (
        ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or ord(c) in BIDI)})


def cmd_text_safe(*paths):
    for path in paths:
        raw = open(path, "rb").read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            FAILS.append("%s: not UTF-8: %s" % (path, e))
            continue
        bad = unsafe_chars(text)
        check(not bad, "%s: raw control characters %s" % (path, ", ".join(bad[:10])))
    done()


def cmd_csv_safe(d):
    files = sorted(glob.glob(os.path.join(d, "*.csv")))
    check(len(files) > 0, "no CSV file in %s" % d)
    for f in files:
        raw = open(f, "rb").read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            FAILS.append("%s: not UTF-8: %s" % (f, e))
            continue
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
        check(len(rows) >= 1, "%s: no header" % f)
        for i, row in enumerate(rows[1:], 2):
            check(len(row) == len(rows[0]), "%s row %d: %d cells, header has %d"
                  % (f, i, len(row), len(rows[0])))
            for cell in row:
                if cell and cell[0] in "=+-@\t\r" and not NUMERIC.match(cell):
                    FAILS.append("%s row %d: cell %r is a formula" % (f, i, cell[:40]))
                bad = unsafe_chars(cell)
                check(not bad, "%s row %d: raw control characters %s in %r"
                      % (f, i, ", ".join(bad[:5]), cell[:40]))
    done()


def cmd_json_safe(*paths):
    for path in paths:
        raw = open(path, "rb").read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            FAILS.append("%s: not UTF-8: %s" % (path, e))
            continue
        bad = unsafe_chars(text, allow="\n")
        check(not bad, "%s: raw control characters %s" % (path, ", ".join(bad[:10])))
        try:
            json.loads(text)
        except ValueError:
            try:
                for line in text.splitlines():
                    json.loads(line)
            except ValueError as e:
                FAILS.append("%s: not JSON: %s" % (path, e))
    done()


MAIL_HEADERS = {"date", "from", "to", "subject", "message-id", "mime-version", "content-type",
                "auto-submitted", "x-auto-response-suppress"}


def cmd_mail_safe(path):
    raw = open(path, "rb").read()
    head = raw.split(b"\r\n\r\n", 1)[0]
    check(b"\n" not in head.replace(b"\r\n", b""), "a bare LF in the header")
    check(b"\r" not in head.replace(b"\r\n", b""), "a bare CR in the header")
    names = []
    for line in head.split(b"\r\n"):
        check(len(line) <= 998, "a header line longer than 998")
        check(all(32 <= b < 127 or b == 9 for b in line), "a header line with non-ASCII: %r" % line)
        if line and line[0] not in b" \t":
            names.append(line.split(b":", 1)[0].decode("ascii", "replace").lower())
    for n in names:
        check(n in MAIL_HEADERS, "a header no report has: %r" % n)
    for n in ["date", "from", "to", "subject", "message-id", "mime-version"]:
        check(names.count(n) == 1, "header %s %d times" % (n, names.count(n)))
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    subject = str(msg["Subject"])
    check("\r" not in subject and "\n" not in subject, "the subject holds a line break")
    check(not unsafe_chars(subject), "the subject holds control characters")
    check(msg.get_content_type() == "multipart/mixed", "top part %s" % msg.get_content_type())
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            bad = unsafe_chars(part.get_content().replace("\r\n", "\n"))
            check(not bad, "raw control characters %s in the text part" % ", ".join(bad[:10]))
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
    {"json": cmd_json, "csv": cmd_csv, "html": cmd_html, "dom": cmd_dom, "mail": cmd_mail,
     "text-safe": cmd_text_safe, "csv-safe": cmd_csv_safe, "json-safe": cmd_json_safe,
     "mail-safe": cmd_mail_safe, "smtp-sink": cmd_smtp_sink}[cmd](*args)
