"""Simulated people for the demo: deterministic names and well-formed ID numbers, created in bulk.

Everyone here is made up. A group letter and an index give each person the
same name, email and ID number on every load; ID numbers carry valid check
characters (GB 11643-1999 for PRC cards, the HKID check digit for Hong Kong),
so the platform's checks accept them as they would a real person's.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from certexam import db
from certexam.domain.identity import prc_check_char
from certexam.models import User
from certexam.services.accounts import passwords
from certexam.services.accounts import users as accounts

DEMO_PASSWORD = "demo-password-1"  # noqa: S105 - demo only; `make run` prints it
DOMAIN = "demo.certexam"

SURNAMES = [("王", "Wang"), ("李", "Li"), ("张", "Zhang"), ("刘", "Liu"), ("陈", "Chen"), ("杨", "Yang"),
            ("黄", "Huang"), ("赵", "Zhao"), ("吴", "Wu"), ("周", "Zhou"), ("徐", "Xu"), ("孙", "Sun"),
            ("马", "Ma"), ("朱", "Zhu"), ("胡", "Hu"), ("郭", "Guo"), ("何", "He"), ("高", "Gao"), ("林", "Lin"),
            ("罗", "Luo"), ("郑", "Zheng"), ("梁", "Liang"), ("谢", "Xie"), ("宋", "Song"), ("唐", "Tang"),
            ("韩", "Han"), ("冯", "Feng"), ("邓", "Deng"), ("曹", "Cao"), ("彭", "Peng"), ("曾", "Zeng"),
            ("肖", "Xiao"), ("田", "Tian"), ("董", "Dong"), ("潘", "Pan"), ("袁", "Yuan"), ("蔡", "Cai"),
            ("蒋", "Jiang"), ("余", "Yu"), ("杜", "Du"), ("叶", "Ye"), ("程", "Cheng"), ("魏", "Wei"),
            ("苏", "Su"), ("丁", "Ding"), ("沈", "Shen"), ("钟", "Zhong"), ("方", "Fang")]
GIVEN = [("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"), ("强", "qiang"),
         ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"), ("杰", "jie"), ("涛", "tao"),
         ("明", "ming"), ("超", "chao"), ("霞", "xia"), ("平", "ping"), ("华", "hua"), ("玉", "yu"), ("文", "wen"),
         ("斌", "bin"), ("宇", "yu"), ("浩", "hao"), ("凯", "kai"), ("佳", "jia"), ("晨", "chen"), ("欣", "xin"),
         ("怡", "yi"), ("婷", "ting"), ("雪", "xue"), ("琳", "lin"), ("俊", "jun"), ("博", "bo"), ("鑫", "xin"),
         ("子", "zi"), ("嘉", "jia"), ("思", "si"), ("雨", "yu"), ("晓", "xiao"), ("志", "zhi"), ("海", "hai"),
         ("建", "jian"), ("慧", "hui"), ("颖", "ying"), ("睿", "rui"), ("轩", "xuan"), ("涵", "han"),
         ("悦", "yue"), ("航", "hang"), ("泽", "ze"), ("铭", "ming")]
# Hong Kong residents: traditional characters, Cantonese romanisation (as on an HKID card).
HK_SURNAMES = [("陳", "Chan"), ("李", "Lee"), ("張", "Cheung"), ("黃", "Wong"), ("何", "Ho"), ("梁", "Leung"),
               ("林", "Lam"), ("劉", "Lau"), ("吳", "Ng"), ("鄭", "Cheng")]
HK_GIVEN = [("嘉", "Ka"), ("偉", "Wai"), ("文", "Man"), ("明", "Ming"), ("欣", "Yan"), ("俊", "Chun"),
            ("志", "Chi"), ("穎", "Wing"), ("詩", "Sze"), ("慧", "Wai"), ("家", "Ka"), ("麗", "Lai")]
# GB/T 2260 divisions: Shenzhen's districts first (most candidates live there), then other cities.
AREAS = ["440304", "440305", "440306", "440303", "440307", "440106", "440104", "110105", "310115", "430104"]
HK_SHARE = 12  # one person in twelve is a Hong Kong resident


@dataclass(frozen=True)
class Person:
    email: str
    name_zh: str
    name_en: str
    id_type: str
    id_number: str


def prc_number(group: int, index: int) -> str:
    """A resident ID number unique per (group, index): area, birth date, sequence, check character."""
    born = date(1982, 1, 1) + timedelta(days=(index // 100) * 1500 + (index % 100) * 13 + group * 3)
    first17 = f"{AREAS[index % len(AREAS)]}{born:%Y%m%d}{group}{index % 100:02d}"
    return first17 + prc_check_char(first17)


def hkid_number(group: int, index: int) -> str:
    """An HKID number (one letter, six digits, check digit) unique per (group, index)."""
    letter = "ABCDEGHKMPRYZ"[index % 13]
    digits = f"{group}{index:05d}"
    # HKID check digit: a missing second letter counts 36, letters A-Z 10-35, weights 9 down to 2.
    values = [36, ord(letter) - 55] + [int(d) for d in digits]
    check = (11 - sum(v * w for v, w in zip(values, range(9, 1, -1), strict=True)) % 11) % 11
    return f"{letter}{digits}({'A' if check == 10 else check})"


def people(tag: str, group: int, count: int) -> list[Person]:
    """`count` people of one group; the same list on every call."""
    rng = random.Random(f"certexam-demo-people-{tag}")
    out = []
    for i in range(1, count + 1):
        if i % HK_SHARE == 0:
            (sz, se), (g1z, g1e), (g2z, g2e) = rng.choice(HK_SURNAMES), rng.choice(HK_GIVEN), rng.choice(HK_GIVEN)
            zh, en, slug = sz + g1z + g2z, f"{se} {g1e} {g2e}", f"{se}.{g1e}{g2e}".lower()
            id_type, number = "hk_id", hkid_number(group, i)
        else:
            sz, se = rng.choice(SURNAMES)
            given = [rng.choice(GIVEN) for _ in range(1 if rng.random() < 0.3 else 2)]
            zh, given_en = sz + "".join(g[0] for g in given), "".join(g[1] for g in given)
            en, slug = f"{se} {given_en.capitalize()}", f"{se.lower()}.{given_en}"
            id_type, number = "prc_id", prc_number(group, i)
        out.append(Person(f"{slug}.{tag}{i:03d}@{DOMAIN}", zh, en, id_type, number))
    return out


@functools.cache
def shared_hash() -> str:
    """One Argon2 hash of the demo password for every demo account (hashing takes ~0.2 s each)."""
    return passwords.hash_password(DEMO_PASSWORD)


def ensure(group: list[Person]) -> list[int]:
    """Create the accounts that are missing (through registration); return every user id, in order."""
    sess = db.session()
    emails = [p.email for p in group]
    have: dict[str, int] = {}
    for start in range(0, len(emails), 500):
        have.update(sess.execute(select(User.email, User.id).where(User.email.in_(emails[start:start + 500]))).all())
    for p in group:
        if p.email not in have:
            user = accounts.register_candidate(
                accounts.Registration(email=p.email, password=DEMO_PASSWORD, name_zh=p.name_zh, name_en=p.name_en,
                                      id_type=p.id_type, id_number=p.id_number),
                password_hash=shared_hash())
            have[p.email] = user.id
    return [have[e] for e in emails]
