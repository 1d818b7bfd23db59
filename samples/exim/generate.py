#!/usr/bin/env python3
"""generate.py - project-made Exim logs for the golden test and for benchmarks

    generate.py --samples DIR              the committed sample set: mainlog, rejectlog,
                                           mail.log (syslog-wrapped, second host),
                                           expected-events.tsv, golden.args, SHAPES.md
    generate.py --lines N --seed S -o FILE a realistic mainlog of N lines (streamed);
                                           --old-ids for the Exim 4.96 line format

Everything is invented by this script (Python 3 standard library only) and deterministic for
a given seed. The logs follow the line grammar of Exim 4.9x (see
shared/docs/formats/exim.md): arrivals, deliveries, failures with remote replies in the
wording of the big providers, deferrals and retries, bounces tied to their parent, the ACL
and built-in rejections, authentication failures, and the connection noise around them.

The sample mainlog changes its log_selector twice, as a real server's log does across an
upgrade: first plain timestamps and 16-character message ids (Exim <= 4.96), then +pid,
+millisec and 23-character ids (4.97+) while messages queued before the upgrade still retry
under their old ids, then log_timezone. Its rejections are copied to the rejectlog (with the
message headers of those refused after DATA), which also holds a few from before the
mainlog begins.

expected-events.tsv is the generator's own account of every event a correct parser must
report (format in tests/test_golden.c): the generator knows what each line means because
it wrote it.
"""

import argparse
import heapq
import os
import random
import sys

B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

EPOCH_DAYS = 719163  # date(1970, 1, 1).toordinal()

# --------------------------------------------------------------------------- vocabulary

SYLLABLES = ["an", "ber", "ca", "do", "el", "fi", "ga", "ho", "in", "jo", "ka", "li", "mo",
             "na", "or", "pe", "qui", "ra", "so", "ta", "ul", "vi", "wa", "xe", "yo", "za",
             "mar", "ten", "sel", "bri", "kon", "dra", "lu", "mi", "ne", "sto"]
FIRST = ["anna", "ben", "carla", "david", "elena", "frank", "greta", "hans", "ines", "jonas",
         "karin", "lars", "maria", "nils", "olga", "paul", "rosa", "sven", "tina", "uwe",
         "vera", "walter", "yuki", "zoe", "info", "sales", "support", "billing", "noreply",
         "office", "hr", "admin", "news", "orders"]
TLDS = ["com", "net", "org", "de", "fr", "nl", "co.uk", "it", "es", "pl", "ru", "se", "ch",
        "at", "be", "io", "eu", "info", "biz", "com.au", "ca", "jp", "br", "cz", "dk"]
PROVIDERS = [
    # domain, MX host, weight
    ("gmail.com", "gmail-smtp-in.l.google.com", 18),
    ("googlemail.com", "gmail-smtp-in.l.google.com", 1),
    ("outlook.com", "outlook-com.olc.protection.outlook.com", 7),
    ("hotmail.com", "hotmail-com.olc.protection.outlook.com", 6),
    ("yahoo.com", "mta7.am0.yahoodns.net", 5),
    ("aol.com", "mx-aol.mail.gm0.yahoodns.net", 1),
    ("gmx.de", "mx00.emig.gmx.net", 4),
    ("web.de", "mx-ha02.web.de", 3),
    ("t-online.de", "mx00.t-online.de", 2),
    ("mail.ru", "mxs.mail.ru", 3),
    ("yandex.ru", "mx.yandex.ru", 2),
    ("icloud.com", "mx01.mail.icloud.com", 3),
    ("orange.fr", "smtp-in.orange.fr", 1),
    ("free.fr", "mx1.free.fr", 1),
    ("libero.it", "smtp-in.libero.it", 1),
]
OUR_DOMAINS = ["example.com", "example.org", "shop.example.net"]
OUR_HOST = "mx1.example.com"
OUR_IP = "198.51.100.25"

VIRUSES = ["Eicar-Test-Signature", "Sanesecurity.Malware.28712.DocM.Downloader",
           "Win.Trojan.Agent-1389923", "Doc.Dropper.Agent-6958111",
           "Sanesecurity.Junk.39934.UNOFFICIAL", "Html.Phishing.Bank-1774"]
DNSBLS = ["zen.spamhaus.org", "b.barracudacentral.org", "bl.spamcop.net",
          "dnsbl.sorbs.net", "psbl.surriel.com", "bl.mailspike.net"]

# inbound ACL messages: (message template or None, stage word, temporary, code, status)
# {ip} {host} {dom} {sender} {rcpt} {port} {list} are filled in
RCPT_REASONS = [
    ("relay not permitted", 0, 0, ""),
    ("Unrouteable address", 0, 0, ""),
    ("Unknown user", 0, 0, ""),
    ("No Such User Here", 0, 0, ""),
    ("Sender verify failed", 0, 0, ""),
    ("rejected because {ip} is in a black list at {list}\\nCurrently Sending Spam See: "
     "http://www.{list}/lookup?{ip}", 0, 0, ""),
    ("JunkMail rejected - {host} [{ip}]:{port} is in an RBL: "
     "https://www.spamhaus.org/query/ip/{ip}", 0, 0, ""),
    ("550 5.7.1 Client host [{ip}] blocked using {list}; https://www.spamhaus.org/query/ip/{ip}",
     0, 550, "5.7.1"),
    ("SMTP AUTH is required for message submission on port 587", 0, 0, ""),
    ("SPF check failed: {dom} does not designate {ip} as permitted sender", 0, 0, ""),
    ("restricted characters in address", 0, 0, ""),
    ("Greylisted, please try again in 5 minutes", 1, 0, ""),
    ("Could not complete sender verify callout", 1, 0, ""),
    ("lowest numbered MX record points to local host", 1, 0, ""),
    ("451 4.7.1 Ratelimit exceeded for {ip}: 61.3/1h max:60", 1, 451, "4.7.1"),
    (None, 0, 0, ""),
]
DATA_REASONS = [
    ("This message contains a virus ({virus}).", 0, 0, ""),
    ("Your message scored 14.2 SpamAssassin points. Report follows: URIBL_BLACK, "
     "RCVD_IN_SBL_CSS, BAYES_99", 0, 0, ""),
    ("DMARC policy of {dom} requires rejection", 0, 0, ""),
    ("domain missing or malformed: failing address in \"From:\" header is: @", 0, 0, ""),
    ("there is no valid sender in any header line", 0, 0, ""),
    ("554 5.7.1 Message rejected as spam", 0, 554, "5.7.1"),
    ("Temporary local problem - please try later", 1, 0, ""),
]

# remote replies: (code, status, text, stage word, permanent)
REMOTE = [
    (550, "5.1.1", "The email account that you tried to reach does not exist. Please try\\n"
     "550-5.1.1 double-checking the recipient's email address for typos or\\n550-5.1.1 "
     "unnecessary spaces. For more information, go to\\n550 5.1.1  "
     "https://support.google.com/mail/?p=NoSuchUser {token} - gsmtp", "RCPT TO", "gmail.com"),
    (550, "5.7.26", "This mail has been blocked because the sender is\\n550-5.7.26 "
     "unauthenticated. Gmail requires all senders to authenticate with either\\n550-5.7.26 "
     "SPF or DKIM.\\n550 5.7.26  https://support.google.com/mail/answer/81126 {token} - gsmtp",
     "end of data", "gmail.com"),
    (421, "4.7.28", "Gmail has detected an unusual rate of unsolicited mail\\n421-4.7.28 "
     "originating from your IP address. To protect our users from spam, mail sent\\n"
     "421 4.7.28 from your IP address has been temporarily rate limited. {token} - gsmtp",
     "end of data", "gmail.com"),
    (452, "4.2.2", "The email account that you tried to reach is over quota. Please direct\\n"
     "452 4.2.2 the recipient to https://support.google.com/mail/?p=OverQuotaTemp {token} "
     "- gsmtp", "RCPT TO", "gmail.com"),
    (550, "5.5.0", "Requested action not taken: mailbox unavailable (S2017062302). "
     "[{mxhash}.eop-EUR03.prod.protection.outlook.com]", "RCPT TO", "outlook.com"),
    (550, "5.7.1", "Unfortunately, messages from [{myip}] weren't sent. Please contact your "
     "Internet service provider since part of their network is on our block list (S3150). "
     "[{mxhash}.eop-nam02.prod.protection.outlook.com]", "MAIL FROM", "hotmail.com"),
    (451, "4.7.500", "Server busy. Please try again later from [{myip}]. (S77719) "
     "[{mxhash}.eop-EUR03.prod.protection.outlook.com]", "RCPT TO", "outlook.com"),
    (421, "4.7.0", "[TSS04] Messages from {myip} temporarily deferred due to unexpected volume "
     "or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
     "MAIL FROM", "yahoo.com"),
    (554, "5.7.9", "Message not accepted for policy reasons.  See "
     "https://postmaster.yahooinc.com/error-codes", "end of data", "yahoo.com"),
    (554, "", "delivery error: dd This user doesn't have a yahoo.com account ({rcpt}) [0] - "
     "mta4{n}.mail.bf1.yahoo.com", "end of data", "yahoo.com"),
    (550, "", "Requested action not taken: mailbox unavailable", "RCPT TO", "gmx.de"),
    (450, "4.3.2", "Too many mails (mail bomb), try again in 1 hour(s) 25 minute(s) and see "
     "( http://portal.gmx.net/serverrules ) {{mx-us011}}", "RCPT TO", "gmx.de"),
    (554, "", "Transaction failed - Reject due to policy restrictions. For explanation visit "
     "https://postmaster.web.de/en/error-messages?ip={myip}&c=hi", "initial connection",
     "web.de"),
    (550, "", "Message was not accepted -- invalid mailbox.  Local mailbox {rcpt} is "
     "unavailable: user not found", "RCPT TO", "mail.ru"),
    (451, "", "Ratelimit exceeded for mailbox {rcpt}. Try again later.", "RCPT TO",
     "mail.ru"),
    (550, "5.7.1", "Message rejected under suspicion of SPAM; https://ya.cc/1IrBc "
     "{token}-{token}", "end of data", "yandex.ru"),
    (554, "5.7.1", "[HM08] Message rejected. For more information see "
     "https://support.apple.com/en-us/HT204137", "end of data", "icloud.com"),
    (550, "5.1.1", "<{rcpt}>: Recipient address rejected: User unknown in virtual mailbox table",
     "RCPT TO", None),
    (550, "5.1.1", "<{rcpt}>: Recipient address rejected: User unknown in local recipient table",
     "RCPT TO", None),
    (554, "5.7.1", "<{rcpt}>: Relay access denied", "RCPT TO", None),
    (450, "4.2.0", "<{rcpt}>: Recipient address rejected: Greylisted, see "
     "http://postgrey.schweikert.ch/help/{rdom}.html", "RCPT TO", None),
    (451, "4.7.1", "Greylisting in action, please come back later", "RCPT TO", None),
    (552, "5.2.2", "<{rcpt}>: Recipient address rejected: Mailbox full", "RCPT TO", None),
    (550, "", "No Such User Here", "RCPT TO", None),
    (550, "5.7.1", "Service unavailable; Client host [{myip}] blocked using zen.spamhaus.org; "
     "https://www.spamhaus.org/query/ip/{myip}", "RCPT TO", None),
    (554, "5.7.1", "Service unavailable; Client host [{myip}] blocked using "
     "b.barracudacentral.org; http://www.barracudanetworks.com/reputation/?pr=1&ip={myip}",
     "initial connection", None),
    (550, "5.7.23", "The message was rejected because of Sender Policy Framework violation",
     "end of data", None),
    (550, "5.7.1", "Email rejected per DMARC policy for {sdom}", "end of data", None),
    (552, "5.3.4", "Message size exceeds fixed limit", "MAIL FROM", None),
    (553, "5.7.1", "<{sender}>: Sender address rejected: not logged in", "RCPT TO", None),
    (421, "4.4.2", "{mx} Error: timeout exceeded", "end of data", None),
    (451, "4.3.0", "Error: queue file write error", "end of data", None),
    (550, "5.7.0", "Local Policy Violation", "end of data", None),
    (504, "5.5.2", "<{helo}>: Helo command rejected: need fully-qualified hostname",
     "RCPT TO", None),
    (550, "", "Administrative prohibition", "RCPT TO", None),
]

CONNECT_ERRORS = [(110, "Connection timed out"), (111, "Connection refused"),
                  (113, "No route to host")]

SUBJECTS = ["Invoice {n}", "Your order #{n} has shipped", "Re: meeting on Tuesday",
            "Weekly newsletter", "Password reset", "Quarterly report", "Fwd: photos",
            "Your account statement", "Re: Re: contract draft", "Welcome!"]


def b62(n, width):
    s = ""
    for _ in range(width):
        s = B62[n % 62] + s
        n //= 62
    return s


def civil(t):
    """(y, m, d, H, M, S) of UTC epoch seconds t"""
    days, rem = divmod(int(t), 86400)
    z = days + 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return (y + (m <= 2), m, d, rem // 3600, rem // 60 % 60, rem % 60)


MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


# --------------------------------------------------------------------------- the writer

class Out:
    """Lines of one file, with the events a parser must find in them."""

    def __init__(self, name, stream=None):
        self.name = name
        self.stream = stream
        self.lines = [] if stream is None else None
        self.count = 0
        self.events = []  # (line number, fields)
        self.shapes = {}  # shape -> [count, example]

    def add(self, text, shape, event=None):
        self.count += 1
        if self.stream is not None:
            self.stream.write(text + "\n")
        else:
            self.lines.append(text)
            if event is not None:
                self.events.append((self.count, event))
            c = self.shapes.setdefault(shape, [0, text])
            c[0] += 1
        return self.count

    def write(self, folder):
        with open(os.path.join(folder, self.name), "w", encoding="utf-8", newline="\n") as f:
            for line in self.lines:
                f.write(line + "\n")


def ev(kind, direction, stage="", qid="", ip="", sender=None, rcpt="", code=0, status=""):
    return {"kind": kind, "direction": direction, "stage": stage, "qid": qid or "",
            "ip": ip or "", "sender": "" if sender is None else sender, "rcpt": rcpt or "",
            "code": str(code) if code else "", "status": status or ""}


# --------------------------------------------------------------------------- the model

class Message:
    __slots__ = ("id", "sender", "ip", "size", "rcpts", "tries", "bounce_for", "era")


class Sim:
    def __init__(self, rng, main, reject=None, bench=False, start=0):
        self.r = rng
        self.main = main
        self.reject = reject
        self.bench = bench
        self.t = float(start)
        self.era = 0  # 0: 4.96, plain; 1: 4.97 +pid +millisec; 2: and log_timezone +0100
        self.retries = []  # heap of (time, seq, message)
        self.seq = 0
        self.pid = 2000 + rng.randrange(1000)
        self.last_id = {}
        self.domains = self.make_domains(20000 if bench else 300)
        self.rejectlog_only = False  # write only what goes to the rejectlog, to main

    # ---- names
    def make_domains(self, n):
        r = self.r
        out = []
        for _ in range(n):
            w = "".join(r.choice(SYLLABLES) for _ in range(r.randrange(2, 4)))
            if r.random() < 0.2:
                w += "-" + r.choice(["shop", "mail", "group", "net", "media", "tech"])
            out.append(w + "." + r.choice(TLDS))
        return out

    def local_part(self):
        r = self.r
        k = r.random()
        if k < 0.4:
            return r.choice(FIRST) + "." + "".join(r.choice(SYLLABLES)
                                                   for _ in range(r.randrange(2, 4)))
        if k < 0.7:
            return r.choice(FIRST) + str(r.randrange(1, 100000 if self.bench else 90))
        return "".join(r.choice(SYLLABLES) for _ in range(r.randrange(2, 5)))

    def remote_domain(self):
        r = self.r
        if r.random() < 0.45:
            total = sum(p[2] for p in PROVIDERS)
            x = r.uniform(0, total)
            for d, mx, w in PROVIDERS:
                x -= w
                if x <= 0:
                    return d
        return r.choice(self.domains)

    def mx_of(self, dom):
        for d, mx, w in PROVIDERS:
            if d == dom:
                return mx
        return "mx%d.%s" % (self.r.randrange(1, 3), dom)

    def address(self, dom=None):
        return "%s@%s" % (self.local_part(), dom or self.remote_domain())

    def our_address(self):
        return "%s@%s" % (self.local_part(), self.r.choice(OUR_DOMAINS))

    def ip(self):
        r = self.r
        while True:
            a = r.randrange(1, 224)
            if a not in (10, 127, 169, 172, 192, 198, 203):
                return "%d.%d.%d.%d" % (a, r.randrange(256), r.randrange(256),
                                        r.randrange(1, 255))

    def ip6(self):
        r = self.r
        return "2a0%x:%x:%x::%x" % (r.randrange(1, 16), r.randrange(65536), r.randrange(65536),
                                    r.randrange(1, 65536))

    def client_host(self, ip):
        r = self.r
        k = r.random()
        dom = r.choice(self.domains)
        if k < 0.45:
            name = "mail%d.%s" % (r.randrange(1, 9), dom)
            return "%s [%s]:%d" % (name, ip, r.randrange(1024, 65536)), name
        if k < 0.75:
            helo = r.choice(["mail." + dom, "smtp." + dom, dom])
            name = "%s.static.%s" % (ip.replace(".", "-"), r.choice(self.domains))
            return "%s (%s) [%s]:%d" % (name, helo, ip, r.randrange(1024, 65536)), name
        helo = r.choice(["User", "ylmf-pc", "WIN-%04X" % r.randrange(65536), "[%s]" % ip,
                         "localhost", "mail." + dom])
        return "(%s) [%s]:%d" % (helo, ip, r.randrange(1024, 65536)), None

    def token(self):
        return "".join(self.r.choice(B62) for _ in range(self.r.randrange(10, 18)))

    # ---- the prefix and ids
    def new_id(self):
        r = self.r
        t = int(self.t)
        # base 62: the arrival time, the receiving process's pid, a fraction of the second
        pid = r.randrange(300, 4194304)
        if self.era == 0:
            s = "%s-%s-%s" % (b62(t, 6), b62(pid, 6), b62(r.randrange(3844), 2))
        else:
            s = "%s-%s-%s" % (b62(t, 6), b62(pid, 11), b62(r.randrange(62 ** 4), 4))
        return s

    def stamp(self):
        t = self.t
        if self.era == 2:
            y, mo, d, H, M, S = civil(t + 3600)
        else:
            y, mo, d, H, M, S = civil(t)
        s = "%04d-%02d-%02d %02d:%02d:%02d" % (y, mo, d, H, M, S)
        if self.era >= 1:
            s += ".%03d" % int((t - int(t)) * 1000)
        if self.era == 2:
            s += " +0100"
        return s

    def prefix(self, mid=None, pid=None):
        s = self.stamp()
        if self.era >= 1:
            s += " [%d]" % (pid or self.pid)
        if mid:
            s += " " + mid
        return s + " "

    def tick(self, lo=0.2, hi=20.0):
        self.t += self.r.uniform(lo, hi) if not self.bench else self.r.expovariate(1 / 1.2)
        self.pid = 2000 + self.r.randrange(60000)

    # ---- emitting helpers
    def log(self, mid, body, shape, event=None, reject_copy=False, headers=None):
        line = self.prefix(mid) + body
        if self.rejectlog_only:
            if not reject_copy:
                return 0
            n = self.main.add(line, shape, event)
            for h in headers or []:
                self.main.add(h, "rejectlog header")
            return n
        n = self.main.add(line, shape, event)
        if reject_copy and self.reject is not None:
            self.reject.add(line, shape)
            for h in headers or []:
                self.reject.add(h, "rejectlog header")
        return n

    # ---- scenarios
    def inbound_message(self):
        r = self.r
        ip = self.ip()
        hostspec, name = self.client_host(ip)
        sender = self.address() if r.random() < 0.93 else ""
        mid = self.new_id()
        size = r.randrange(900, 400000)
        rcpts = [self.our_address() for _ in range(1 if r.random() < 0.8 else r.randrange(2, 4))]
        tls = r.random() < 0.7
        fields = "H=%s I=[%s]:25 P=%s" % (hostspec, OUR_IP, "esmtps" if tls else "esmtp")
        if tls:
            fields += " X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no"
        fields += " S=%d id=%s@%s" % (size, self.token(), sender.split("@")[-1] or "bounce.example")
        if r.random() < 0.15:
            fields += ' T="%s"' % r.choice(SUBJECTS).format(n=r.randrange(10000, 99999))
        if r.random() < 0.3:
            fields += " for " + " ".join(rcpts)
        self.log(mid, "<= %s %s" % (sender or "<>", fields), "<= arrival (esmtp)")
        self.tick(0.01, 1.5)
        first = True
        for rc in rcpts:
            kind = r.random()
            flag = "=>" if first else "->"
            if kind < 0.55:
                lp = rc.split("@")[0]
                self.log(mid, "%s %s <%s> R=local_user T=mail_spool" % (flag, lp, rc),
                         "%s local delivery" % flag,
                         ev("deliver", "outbound", "", mid, ip, sender, lp))
                first = False
            elif kind < 0.93:
                self.log(mid, '%s %s R=dovecot_lmtp T=dovecot_lmtp H=127.0.0.1 [127.0.0.1] '
                         'C="250 2.0.0 <%s> %s Saved"' % (flag, rc, rc, self.token()),
                         "%s LMTP delivery" % flag,
                         ev("deliver", "outbound", "", mid, ip, sender, rc, 250, "2.0.0"))
                first = False
            else:
                self.log(mid, "== %s R=dovecot_lmtp T=dovecot_lmtp defer (-46) H=127.0.0.1 "
                         "[127.0.0.1]: LMTP error after end of data: 452 4.2.2 <%s> Mailbox is "
                         "full / Quota exceeded" % (rc, rc), "== LMTP deferral",
                         ev("defer", "outbound", "eom", mid, ip, sender, rc, 452, "4.2.2"))
        self.log(mid, "Completed", "Completed")

    def outbound_message(self, old_form_sender=None):
        r = self.r
        mid = self.new_id()
        size = r.randrange(600, 2000000)
        if r.random() < 0.6:
            ip = self.ip() if r.random() < 0.9 else self.ip6()
            user = self.our_address()
            sender = user
            self.log(mid, "<= %s H=(%s) [%s]:%d I=[%s]:587 P=esmtpsa "
                     "X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no A=dovecot_plain:%s S=%d "
                     "id=%s@%s" % (sender, r.choice(["[192.168.1.%d]" % r.randrange(2, 250),
                                                       "laptop", "MacBookPro.local",
                                                       "DESKTOP-%05X" % r.randrange(1 << 20)]),
                                   ip, r.randrange(1024, 65536), OUR_IP, user, size, self.token(),
                                   sender.split("@")[1]), "<= arrival (submission)")
        else:
            ip = ""
            lp = r.choice(["www-data", "root", "nagios", "app", "wordpress"])
            sender = "%s@%s" % (lp, OUR_HOST)
            self.log(mid, "<= %s U=%s P=local S=%d" % (sender, lp, size), "<= arrival (local)")
        m = Message()
        m.id, m.sender, m.ip, m.size, m.tries, m.bounce_for = mid, sender, ip, size, 0, None
        m.era = self.era
        m.rcpts = [self.address() for _ in range(1 if r.random() < 0.75 else r.randrange(2, 5))]
        self.attempt(m)

    def remote_reply(self, rcpt, permanent):
        r = self.r
        dom = rcpt.split("@")[1]
        fits = [x for x in REMOTE if (x[4] is None or x[4] == dom) and
                ((x[0] >= 500) == permanent)]
        code, status, text, cmd, _ = r.choice(fits)
        text = text.format(token=self.token(), rcpt=rcpt, myip=OUR_IP,
                           mxhash=self.token().upper()[:12], n=r.randrange(10, 99),
                           rdom=dom, sdom=self.r.choice(OUR_DOMAINS), sender=self.our_address(),
                           helo=OUR_HOST, mx=self.mx_of(dom))
        sep = "-" if "\\n" in text else " "
        reply = "%d%s%s%s" % (code, sep, status + " " if status else "", text)
        return code, status, reply, cmd

    def attempt(self, m):
        """one delivery attempt of an outbound message; schedules the next one"""
        r = self.r
        left = []
        bounced = []
        first = True
        for rc in m.rcpts:
            self.tick(0.05, 3)
            dom = rc.split("@")[1]
            mx = self.mx_of(dom)
            mxip = self.ip()
            roll = r.random()
            flag = "=>" if first else "->"
            stage_of = {"RCPT TO": "rcpt", "MAIL FROM": "mail", "end of data": "eom",
                        "initial connection": "connect", "DATA": "data"}
            if m.tries >= 4 and roll < 0.5:
                # the retry rules gave up: expiry, with the last deferral
                self.log(m.id, "** %s: retry timeout exceeded" % rc, "** retry timeout exceeded",
                         ev("expire", "outbound", "", m.id, m.ip, m.sender, rc))
                bounced.append(rc)
                continue
            if roll < 0.72:
                cipher = "X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes " if r.random() < 0.8 else ""
                c = r.choice(["250 2.0.0 OK  %d %s - gsmtp" % (int(self.t), self.token()),
                              "250 2.0.0 Ok: queued as %s" % self.token()[:11].upper(),
                              "250 OK id=%s" % self.new_id(),
                              "250 2.6.0 <%s@%s> [InternalId=%d] Queued mail for delivery" %
                              (self.token(), m.sender.split("@")[1], r.randrange(10 ** 12))])
                self.log(m.id, '%s %s R=dnslookup T=remote_smtp H=%s [%s] %sC="%s"' %
                         (flag, rc, mx, mxip, cipher, c), "%s remote delivery" % flag,
                         ev("deliver", "outbound", "", m.id, m.ip, m.sender, rc, 250,
                            c.split(" ")[1] if c.split(" ")[1][0] == "2" else ""))
                first = False
            elif roll < 0.84:
                # temporary: remote 4xx or a connection failure
                if r.random() < 0.55:
                    code, status, reply, cmd = self.remote_reply(rc, False)
                    errno = {"RCPT TO": -44, "MAIL FROM": -45, "end of data": -46}.get(cmd, 0)
                    if self.era == 0 and r.random() < 0.5:
                        body = ("== %s R=dnslookup T=remote_smtp defer (%d): SMTP error from "
                                "remote mail server after %s: host %s [%s]: %s" %
                                (rc, errno, self.cmd_text(cmd, rc, m), mx, mxip, reply))
                    else:
                        body = ("== %s R=dnslookup T=remote_smtp defer (%d) H=%s [%s]: SMTP "
                                "error from remote mail server after %s: %s" %
                                (rc, errno, mx, mxip, self.cmd_text(cmd, rc, m), reply))
                    self.log(m.id, body, "== remote 4xx",
                             ev("defer", "outbound", stage_of[cmd], m.id, m.ip, m.sender, rc,
                                code, status))
                else:
                    errno, err = r.choice(CONNECT_ERRORS)
                    self.log(m.id, "H=%s [%s] %s" % (mx, mxip, err), "host-level error (info)")
                    self.log(m.id, "== %s R=dnslookup T=remote_smtp defer (%d): %s" %
                             (rc, errno, err), "== connection failure",
                             ev("defer", "outbound", "connect", m.id, m.ip, m.sender, rc))
                left.append(rc)
            elif roll < 0.87 and m.tries > 0:
                self.log(m.id, "== %s R=dnslookup T=remote_smtp defer (-54): retry time not "
                         "reached for any host for '%s'" % (rc, dom), "== retry time not reached",
                         ev("defer", "outbound", "", m.id, m.ip, m.sender, rc))
                left.append(rc)
            else:
                # permanent: remote 5xx, or a routing failure
                if r.random() < 0.85:
                    code, status, reply, cmd = self.remote_reply(rc, True)
                    if self.era == 0 and r.random() < 0.5:
                        body = ("** %s R=dnslookup T=remote_smtp: SMTP error from remote mail "
                                "server after %s: host %s [%s]: %s" %
                                (rc, self.cmd_text(cmd, rc, m), mx, mxip, reply))
                    else:
                        sep = " :" if r.random() < 0.3 else ":"
                        body = ("** %s R=dnslookup T=remote_smtp H=%s [%s] "
                                "X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes%s SMTP error from "
                                "remote mail server after %s: %s" %
                                (rc, mx, mxip, sep, self.cmd_text(cmd, rc, m), reply))
                    self.log(m.id, body, "** remote 5xx",
                             ev("bounce", "outbound", stage_of[cmd], m.id, m.ip, m.sender, rc,
                                code, status))
                else:
                    why = r.choice(["Unrouteable address",
                                    "all relevant MX records point to non-existent hosts"])
                    self.log(m.id, "** %s R=dnslookup: %s" % (rc, why) if r.random() < 0.5
                             else "** %s: %s" % (rc, why), "** routing failure",
                             ev("bounce", "outbound", "", m.id, m.ip, m.sender, rc))
                bounced.append(rc)
        if bounced and m.sender:
            self.bounce(m, bounced)
        m.tries += 1
        m.rcpts = left
        if left:
            self.seq += 1
            heapq.heappush(self.retries, (self.t + r.uniform(600, 5400), self.seq, m))
        else:
            self.log(m.id, "Completed", "Completed")

    def cmd_text(self, cmd, rc, m):
        if cmd == "RCPT TO":
            return "RCPT TO:<%s>" % rc
        if cmd == "MAIL FROM":
            return "MAIL FROM:<%s> SIZE=%d" % (m.sender, m.size + 1200)
        if cmd == "end of data":
            return "pipelined end of data" if self.r.random() < 0.2 else "end of data"
        return cmd

    def bounce(self, m, rcpts):
        r = self.r
        self.tick(0.01, 0.5)
        bid = self.new_id()
        size = r.randrange(2000, 9000)
        self.log(bid, "<= <> R=%s U=Debian-exim P=local S=%d" % (m.id, size),
                 "<= bounce (R=parent)")
        if m.sender.endswith("@" + OUR_HOST) and r.random() < 0.5:
            self.log(bid, "=> :blackhole: <%s> R=blackhole_router" % m.sender,
                     "=> :blackhole: discard",
                     ev("discard", "outbound", "", bid, "", "", m.sender))
        else:
            lp = m.sender.split("@")[0]
            self.log(bid, "=> %s <%s> R=local_user T=mail_spool" % (lp, m.sender),
                     "=> local delivery", ev("deliver", "outbound", "", bid, "", "", lp))
        self.log(bid, "Completed", "Completed")

    def run_retries(self):
        while self.retries and self.retries[0][0] <= self.t:
            _, _, m = heapq.heappop(self.retries)
            if self.r.random() < 0.03:
                self.log(m.id, "Message is frozen", "frozen (info)")
                continue
            self.attempt(m)

    def rejection(self):
        """one refused SMTP transaction (or connection)"""
        r = self.r
        ip = self.ip()
        hostspec, name = self.client_host(ip)
        sender = self.address() if r.random() < 0.9 else ""
        rcpt = self.our_address()
        k = r.random()
        fill = dict(ip=ip, host=name or "unknown", dom=sender.split("@")[-1] or "example.invalid",
                    sender=sender, rcpt=rcpt, port=hostspec.rsplit(":", 1)[-1],
                    list=r.choice(DNSBLS), virus=r.choice(VIRUSES))
        if k < 0.55:
            text, temp, code, status = r.choice(RCPT_REASONS)
            verify = text == "Sender verify failed" and sender
            if verify:
                why = r.choice(["Unrouteable address", "Unrouteable mail domain \"%s\"" %
                                sender.split("@")[1],
                                "all relevant MX records point to non-existent hosts",
                                "%s [%s] : SMTP error from remote mail server after RCPT "
                                "TO:<%s>: 550 5.1.1 User unknown" % (
                                    self.mx_of(sender.split("@")[1]), self.ip(), sender)])
                self.log(None, "H=%s sender verify fail for <%s>: %s" % (hostspec, sender, why),
                         "sender verify fail (info)", reject_copy=True)
            tls = "X=TLS1.2:ECDHE-RSA-AES256-GCM-SHA384:256 CV=no " if r.random() < 0.3 else ""
            body = "H=%s %sF=<%s> %srejected RCPT <%s>" % (hostspec, tls, sender,
                                                          "temporarily " if temp else "", rcpt)
            if text is not None:
                body += ": " + text.format(**fill)
            self.log(None, body, "%srejected RCPT" % ("temporarily " if temp else ""),
                     ev("reject", "inbound", "rcpt", "", ip, sender, rcpt, code, status),
                     reject_copy=True)
        elif k < 0.62:
            sp = "SPF=fail " if r.random() < 0.5 else ""
            self.log(None, "H=%s F=<%s> %srejected RCPT <%s>%s" % (
                hostspec, sender, sp, rcpt, "" if sp else ": SPF check failed"),
                "rejected RCPT (SPF)", ev("reject", "inbound", "rcpt", "", ip, sender, rcpt),
                reject_copy=True)
        elif k < 0.67:
            self.log(None, "H=%s rejected MAIL <%s>: %s" % (
                hostspec, sender, r.choice(["Sender verify failed", "Access denied",
                                            "Your domain is on our blacklist"])),
                "rejected MAIL", ev("reject", "inbound", "mail", "", ip, sender),
                reject_copy=True)
        elif k < 0.72:
            helo = r.choice(["User", "localhost", "ylmf-pc", "[%s]" % ip, "example.com"])
            self.log(None, "H=(%s) [%s] rejected EHLO or HELO %s: %s" % (
                helo, ip, helo, r.choice(["Invalid HELO name (See RFC2821 4.1.1.1)",
                                          "HELO/EHLO must contain a FQDN",
                                          "your HELO is our name"])),
                "rejected EHLO or HELO", ev("reject", "inbound", "helo", "", ip),
                reject_copy=True)
        elif k < 0.79:
            lst = r.choice(DNSBLS)
            temp = r.random() < 0.2
            if temp:
                msg = "\"Host is ratelimited (%.1f/1h max:%d)\"" % (r.uniform(2, 90),
                                                                  r.randrange(1, 60))
            else:
                msg = "%s is listed in %s" % (ip, lst)
            self.log(None, "H=[%s]:%d %srejected connection in \"connect\" ACL: %s" % (
                ip, r.randrange(1024, 65536), "temporarily " if temp else "", msg),
                "%srejected connection" % ("temporarily " if temp else ""),
                ev("reject", "inbound", "connect", "", ip), reject_copy=True)
        elif k < 0.88:
            # refused after DATA: has a message id, the rejectlog gets the headers
            mid = self.new_id()
            text, temp, code, status = r.choice(DATA_REASONS)
            subj = r.choice(SUBJECTS).format(n=r.randrange(10000, 99999))
            headers = ["Envelope-from: <%s>" % sender, "Envelope-to: <%s>" % rcpt,
                       "P Received: from %s" % hostspec.rsplit(":", 1)[0],
                       "\tby %s with esmtp (Exim 4.97)" % OUR_HOST,
                       "\t(envelope-from <%s>)" % sender,
                       "\tid %s" % mid, "\tfor %s;" % rcpt,
                       "I Message-Id: <%s@%s>" % (self.token(), fill["dom"]),
                       "F From: <%s>" % sender, "T To: <%s>" % rcpt,
                       "  Subject: %s" % subj]
            self.log(mid, "H=%s F=<%s> %srejected after DATA: %s" % (
                hostspec, sender, "temporarily " if temp else "", text.format(**fill)),
                "%srejected after DATA" % ("temporarily " if temp else ""),
                ev("reject", "inbound", "eom", mid, ip, sender, "", code, status),
                reject_copy=True, headers=headers)
        elif k < 0.91:
            mid = self.new_id()
            self.log(mid, "F=<%s> H=%s P=esmtp rejected by local_scan(): Rejected: hits=%.1f "
                     "required=5.0 trigger=12.0" % (sender, hostspec, r.uniform(12, 40)),
                     "rejected by local_scan()",
                     ev("reject", "inbound", "eom", mid, ip, sender), reject_copy=True)
        elif k < 0.935:
            cmd = r.choice(["EHLO x", "MAIL FROM:<%s>" % sender, "RSET"])
            stage = {"E": "helo", "M": "mail", "R": ""}[cmd[0]]
            self.log(None, "SMTP protocol synchronization error (next input sent too soon: "
                     "pipelining was not advertised): rejected \"%s\" H=%s next input=\"QUIT"
                     "\\r\\n\"" % (cmd, hostspec), "synchronization error (command)",
                     ev("reject", "inbound", stage, "", ip), reject_copy=True)
        elif k < 0.95:
            self.log(None, "SMTP protocol synchronization error (input sent without waiting for "
                     "greeting): rejected connection from H=[%s]:%d I=[%s]:25 input=\"GET / "
                     "HTTP/1.1\\r\\nHost: %s\\r\\n\\r\\n\"" % (
                         ip, r.randrange(1024, 65536), OUR_IP, OUR_IP),
                     "synchronization error (connection)",
                     ev("reject", "inbound", "connect", "", ip), reject_copy=True)
        elif k < 0.965:
            last = r.choice(["RSET", "NOOP", "AUTH LOGIN"])
            self.log(None, "SMTP call from %s dropped: too many nonmail commands (last was "
                     "\"%s\")" % (hostspec.rsplit(":", 1)[0], last), "SMTP call dropped",
                     ev("reject", "inbound", "", "", ip), reject_copy=True)
        elif k < 0.975:
            self.log(None, "H=[%s]:%d dropped by 'connect' ACL: Country is banned" % (
                ip, r.randrange(1024, 65536)), "dropped by 'connect' ACL",
                ev("reject", "inbound", "connect", "", ip), reject_copy=True)
        elif k < 0.985:
            self.log(None, "H=%s F=<%s> RCPT <%s>: discarded by RCPT ACL" % (hostspec, sender,
                                                                            rcpt),
                     "discarded by RCPT ACL", ev("discard", "inbound", "rcpt", "", ip, sender,
                                                  rcpt))
        elif k < 0.992:
            self.log(None, "H=%s rejected VRFY %s" % (hostspec, rcpt), "rejected VRFY",
                     ev("reject", "inbound", "rcpt", "", ip, None, rcpt), reject_copy=True)
        else:
            self.log(None, "refused connection from [%s] (host_reject_connection)" % ip,
                     "refused connection", ev("reject", "inbound", "connect", "", ip),
                     reject_copy=True)
        if r.random() < 0.4:
            self.tick(0.01, 0.3)
            self.log(None, "SMTP connection from %s lost" % hostspec, "connection lost (info)")

    def auth_failure(self):
        r = self.r
        ip = self.ip()
        helo = r.choice(["User", "ylmf-pc", "[%s]" % ip, "WIN-%04X" % r.randrange(65536)])
        port = r.choice([25, 465, 587])
        who = r.choice(["info", "admin", "test", "sales", "office"]) + "@" + r.choice(OUR_DOMAINS)
        if self.era == 0:
            body = ("dovecot_login authenticator failed for (%s) [%s]:%d I=[%s]:%d: 535 "
                    "Incorrect authentication data (set_id=%s)" % (
                        helo, ip, r.randrange(1024, 65536), OUR_IP, port, who))
            shape = "authenticator failed (old wording)"
        else:
            body = ("dovecot_login authenticator failed for H=(%s) [%s]:%d I=[%s]:%d: 535 "
                    "Incorrect authentication data (set_id=%s)" % (
                        helo, ip, r.randrange(1024, 65536), OUR_IP, port, who))
            shape = "authenticator failed (4.99 wording)"
        self.log(None, body, shape, ev("reject", "inbound", "", "", ip, None, "", 535),
                 reject_copy=True)

    def noise(self):
        r = self.r
        ip = self.ip()
        k = r.random()
        if k < 0.4:
            self.log(None, "no MAIL in SMTP connection from [%s]:%d I=[%s]:25 D=%ds C=EHLO,QUIT" %
                     (ip, r.randrange(1024, 65536), OUR_IP, r.randrange(0, 30)),
                     "no MAIL in SMTP connection (info)")
        elif k < 0.6:
            self.log(None, "TLS error on connection from (%s) [%s]:%d I=[%s]:25 (SSL_accept): "
                     "error:0A000076:SSL routines::no suitable signature algorithm" %
                     (r.choice(self.domains), ip, r.randrange(1024, 65536), OUR_IP),
                     "TLS error (info)")
        elif k < 0.8:
            self.log(None, "no host name found for IP address %s" % ip, "no host name (info)")
        else:
            self.log(None, "SMTP protocol error in \"AUTH LOGIN\" H=(User) [%s]:%d I=[%s]:25 AUTH "
                     "command used when not advertised" % (ip, r.randrange(1024, 65536), OUR_IP),
                     "SMTP protocol error (info)")

    def step(self):
        r = self.r
        self.tick()
        self.run_retries()
        k = r.random()
        if k < 0.34:
            self.inbound_message()
        elif k < 0.62:
            self.outbound_message()
        elif k < 0.86:
            self.rejection()
        elif k < 0.92:
            self.auth_failure()
        elif k < 0.985:
            self.noise()
        elif k < 0.99:
            self.log(None, "Start queue run: pid=%d" % self.pid, "queue run (info)")
        else:
            self.rare()

    def rare(self):
        """the shapes a busy server logs a few times a day"""
        r = self.r
        k = r.randrange(5)
        if k == 0:
            mid = self.new_id()
            ip = self.ip()
            hostspec, _ = self.client_host(ip)
            sender, rcpt = self.address(), self.our_address()
            self.log(mid, "(= %s H=%s P=esmtp S=%d for %s" % (sender, hostspec,
                                                              r.randrange(1000, 9000), rcpt),
                     "(= fakereject",
                     ev("reject_warning", "inbound", "eom", mid, ip, sender, rcpt))
            self.log(mid, "=> %s <%s> R=local_user T=quarantine" % (rcpt.split("@")[0], rcpt),
                     "=> local delivery",
                     ev("deliver", "outbound", "", mid, ip, sender, rcpt.split("@")[0]))
            self.log(mid, "Completed", "Completed")
        elif k == 1:
            mid = self.new_id()
            sender = "%s@%s" % ("app", OUR_HOST)
            rc = self.address()
            self.log(mid, "<= %s U=app P=local S=%d" % (sender, r.randrange(500, 5000)),
                     "<= arrival (local)")
            self.log(mid, "removed by root", "removed by",
                     ev("discard", "outbound", "", mid, "", sender))
        elif k == 2:
            mid = self.new_id()
            ip = self.ip()
            hostspec, _ = self.client_host(ip)
            sender, rc = self.address(), self.address()
            self.log(mid, '>> %s P=<%s> R=smarthost T=remote_smtp H=relay.example.net '
                     '[203.0.113.5] C="250 OK id=%s"' % (rc, sender, self.new_id()),
                     ">> cutthrough delivery",
                     ev("deliver", "outbound", "", mid, "", sender, rc, 250))
            self.log(mid, "<= %s H=%s P=esmtp S=%d" % (sender, hostspec, r.randrange(900, 9000)),
                     "<= arrival (esmtp)")
            self.log(mid, "Completed", "Completed")
        elif k == 3:
            mid = self.new_id()
            ip = self.ip()
            hostspec, _ = self.client_host(ip)
            sender = self.address()
            self.log(mid, "<= %s H=%s P=esmtp S=%d" % (sender, hostspec, r.randrange(900, 9000)),
                     "<= arrival (esmtp)")
            self.log(mid, "=> blackhole (DATA ACL discarded recipients)",
                     "=> blackhole (ACL discarded)",
                     ev("discard", "outbound", "", mid, ip, sender))
            self.log(mid, "Completed", "Completed")
        else:
            mid = self.new_id()
            self.log(mid, "<= <> R=%s U=Debian-exim P=local S=%d" % (self.new_id(),
                                                                    r.randrange(2000, 9000)),
                     "<= bounce (R=parent)")
            self.log(mid, "Frozen (delivery error message)", "frozen (info)")
            self.t += 1
            self.log(mid, "cancelled by timeout_frozen_after", "cancelled by timeout_frozen_after",
                     ev("expire", "outbound", "", mid, "", ""))


# --------------------------------------------------------------------------- outputs

def write_samples(folder, seed):
    rng = random.Random(seed)
    start = days_from_civil(2026, 3, 1) * 86400 + 6 * 3600
    main = Out("mainlog")
    reject = Out("rejectlog")

    # the rejectlog begins before the mainlog does (that mainlog was rotated away): these
    # entries are in no mainlog given, so they count from the rejectlog
    pre_sim = Sim(random.Random(seed + 1), reject, None, start=start - 1800)
    pre_sim.rejectlog_only = True
    for _ in range(12):
        pre_sim.tick()
        pre_sim.rejection()
    sim = Sim(rng, main, reject, start=start)

    target = 2600
    sim.log(None, "exim 4.96 daemon started: pid=%d, -q30m, listening for SMTP on port 25 "
            "(IPv6 and IPv4) port 587 (IPv6 and IPv4) port 465 (IPv6 and IPv4)" % sim.pid,
            "daemon started (info)")
    while main.count < target:
        if sim.era == 0 and main.count > target * 0.4:
            sim.era = 1
            sim.log(None, "exim 4.97 daemon started: pid=%d, -q30m, listening for SMTP on port "
                    "25 (IPv6 and IPv4) port 587 (IPv6 and IPv4)" % sim.pid,
                    "daemon started (info)")
        if sim.era == 1 and main.count > target * 0.8:
            sim.era = 2
        sim.step()

    mail = Out("mail.log")
    syslog_sample(mail, random.Random(seed + 2), start)

    for o in (main, reject, mail):
        o.write(folder)
    with open(os.path.join(folder, "expected-events.tsv"), "w", encoding="utf-8") as f:
        f.write("file\tline\tkind\tdirection\tstage\tqueue_id\tclient_ip\tsender\trecipient\t"
                "reply_code\tstatus\n")
        for o in sorted((main, reject, mail), key=lambda o: o.name):
            for no, e in o.events:
                f.write("\t".join([o.name, str(no), e["kind"], e["direction"], e["stage"],
                                   e["qid"], e["ip"], e["sender"], e["rcpt"], e["code"],
                                   e["status"]]) + "\n")
    with open(os.path.join(folder, "golden.args"), "w") as f:
        f.write("--host mx1.example.com --year-ref 2026-03-02 mainlog rejectlog mail.log\n")
    with open(os.path.join(folder, "SHAPES.md"), "w", encoding="utf-8") as f:
        f.write("# The shapes of the Exim sample logs\n\n"
                "Written by `generate.py --samples .` (do not edit by hand). Every line is "
                "project-made. `mainlog` runs through an upgrade: plain timestamps and "
                "16-character ids, then `+pid +millisec` and 23-character ids (with old ids "
                "still retrying), then `log_timezone`. `rejectlog` repeats the mainlog's "
                "rejections (with headers after DATA) and holds a few from before the mainlog "
                "begins; `mail.log` is a second host logging through syslog.\n\n"
                "| shape | file | lines | example |\n|---|---|---|---|\n")
        for o in (main, reject, mail):
            for shape in sorted(o.shapes):
                n, example = o.shapes[shape]
                example = example.replace("|", "\\|")
                if len(example) > 160:
                    example = example[:157] + "..."
                f.write("| %s | %s | %d | `%s` |\n" % (shape, o.name, n, example))
    total = sum(len(o.events) for o in (main, reject, mail))
    print("%s: mainlog %d lines, rejectlog %d, mail.log %d; %d events" % (
        folder, main.count, reject.count, mail.count, total), file=sys.stderr)


def days_from_civil(y, m, d):
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def syslog_sample(out, rng, start):
    """a second host, mx2, logging through syslog: wrappers, split entries, duplicates"""
    sim = Sim(rng, Out("scratch"), None, start=start + 3600)
    host = "mx2.example.com"
    lines = []  # (text, shape, event)

    def stamp3164(t):
        y, mo, d, H, M, S = civil(t)
        return "%s %2d %02d:%02d:%02d" % (MONTHS[mo - 1], d, H, M, S)

    def wrap(t, pid, text):
        return "%s %s exim[%d]: %s" % (stamp3164(t), host.split(".")[0], pid, text)

    for i in range(60):
        sim.tick(1, 40)
        pid = 3000 + rng.randrange(5000)
        before = len(sim.main.lines)
        kind = rng.random()
        if kind < 0.45:
            sim.rejection()
        elif kind < 0.75:
            sim.outbound_message()
        elif kind < 0.9:
            sim.auth_failure()
        else:
            sim.inbound_message()
        evs = dict(sim.main.events)
        for k in range(before, len(sim.main.lines)):
            text = sim.main.lines[k]
            e = evs.get(k + 1)
            if e is not None:
                e = dict(e)
            is_rejection = e is not None and e["kind"] == "reject"
            if len(text) > 200 and rng.random() < 0.5 and not is_rejection:
                # Exim splits entries longer than it may hand to syslog at once; the cut is
                # made at 150 bytes here so that the sample stays small
                parts = [text[j:j + 150] for j in range(0, len(text), 150)]
                for p_no, part in enumerate(parts, 1):
                    lines.append((wrap(sim.t, pid, "[%d/%d] %s" % (p_no, len(parts), part)),
                                  "syslog [n/m] part", e if p_no == 1 else None))
                continue
            lines.append((wrap(sim.t, pid, text), "syslog-wrapped line", e))
            if is_rejection:
                # syslog_duplication: the rejectlog's copy at LOG_NOTICE, with its headers
                hdrs = ["Envelope-from: <%s>" % (e["sender"] or ""),
                        "Envelope-to: <%s>" % (e["rcpt"] or "postmaster@example.com")]
                total = 1 + len(hdrs)
                lines.append((wrap(sim.t, pid, "[1\\%d] %s" % (total, text)),
                              "syslog rejectlog copy [1\\m]", None))
                for h_no, h in enumerate(hdrs, 2):
                    sep = "/" if h_no == total else "\\"
                    lines.append((wrap(sim.t, pid, "[%d%s%d] %s" % (h_no, sep, total, h)),
                                  "syslog rejectlog header part", None))
        if i % 17 == 5:
            lines.append(("%s %s dovecot[%d]: imap-login: Login: user=<%s>, method=PLAIN, "
                          "rip=%s, lip=%s, mpid=%d, TLS" % (
                              stamp3164(sim.t), host.split(".")[0], 900 + i,
                              sim.our_address(), sim.ip(), OUR_IP, 40000 + i),
                          "another program (dovecot)", None))
    for text, shape, e in lines:
        out.add(text, shape, e)


def write_bench(path, lines, seed, old_ids=False):
    rng = random.Random(seed)
    start = days_from_civil(2026, 1, 5) * 86400
    with open(path, "w", encoding="utf-8", newline="\n", buffering=1 << 20) as f:
        out = Out(os.path.basename(path), stream=f)
        sim = Sim(rng, out, None, bench=True, start=start)
        sim.era = 0 if old_ids else 1
        while out.count < lines:
            sim.step()
    print("%s: %d lines" % (path, out.count), file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--samples", metavar="DIR", help="write the committed sample set into DIR")
    ap.add_argument("--lines", type=int, help="lines of a benchmark mainlog")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("-o", metavar="FILE", help="where the benchmark mainlog goes")
    ap.add_argument("--old-ids", action="store_true",
                    help="benchmark log as Exim 4.96 writes it by default: 16-character ids, "
                         "no +pid, no +millisec (what Debian 12's eximstats can read)")
    a = ap.parse_args()
    if a.samples:
        write_samples(a.samples, a.seed)
    elif a.lines and a.o:
        write_bench(a.o, a.lines, a.seed, a.old_ids)
    else:
        ap.error("give --samples DIR, or --lines N -o FILE")


if __name__ == "__main__":
    main()
