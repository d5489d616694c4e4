"""Traditional Chinese (Hong Kong and Macao usage) for the shipped banks' texts that lack it (issue 22).

OpenCC's s2hk converts characters to their Hong Kong forms; it does not change vocabulary. After it,
the glossary's preferred traditional-Chinese term replaces the converted simplified one
(question_bank/glossary.yaml), and a short reviewed list swaps mainland words for Hong Kong and Macao
ones (登錄 -> 登入, 服務器 -> 伺服器, ...). The result is checked by the glossary check and the bank
reader before a file is written; review a sample of its output before trusting it (docs: issue 22).

    python tools/hant.py FILE.yaml [FILE.yaml ...]
"""

from __future__ import annotations

import sys
from pathlib import Path

import opencc
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from certexam.domain.glossary import parse  # noqa: E402

sys.path.insert(0, str(ROOT / "tools"))
from bank_text import apply, check, runs  # noqa: E402

# Mainland words (after s2hk) and the Hong Kong / Macao word, reviewed one by one. Longer first.
HK_WORDS: tuple[tuple[str, str], ...] = (
    ("個人信息", "個人資料"),  # glossary; PDPO, Macao Law 8/2005
    ("內幕信息", "內幕消息"),  # glossary; Securities and Futures Ordinance
    ("移動支付", "流動支付"),
    ("服務器", "伺服器"),
    ("信息", "資訊"),
    ("登錄", "登入"),
    ("默認", "預設"),
    ("打印", "列印"),
    ("內存", "記憶體"),
    ("硬盤", "硬碟"),
    ("視頻", "影片"),
    ("質量", "質素"),
    ("鏈接", "連結"),
    ("賬戶", "帳戶"),
    ("賬户", "帳户"),
    ("賬號", "帳號"),
    # s2hk's wrong character for 发 / 云 (hair, "to say") where the word means issue / release / cloud.
    ("髮卡", "發卡"),
    ("髮布", "發布"),
    ("髮生", "發生"),
    ("公有云", "公有雲"),
    ("私有云", "私有雲"),
    ("云主機", "雲主機"),
    ("\u201c", "\u300c"),  # “ -> 「: Hong Kong and Macao quote with corner brackets
    ("\u201d", "\u300d"),  # ” -> 」
)


# Names kept as written: the mainland's laws keep their official names in Hong Kong and Macao writing.
PROTECTED: tuple[str, ...] = ("個人信息保護法", "個人信息出境")


def converter() -> tuple[opencc.OpenCC, list[tuple[str, str]]]:
    cc = opencc.OpenCC("s2hk")
    terms = parse(yaml.safe_load((ROOT / "certexam/question_bank/glossary.yaml").read_text(encoding="utf-8")))
    swaps = list(HK_WORDS)
    for t in terms:
        preferred = t.forms["zh_Hant"][0]
        for simplified in t.forms["zh_Hans"]:
            converted = cc.convert(simplified)
            if converted not in t.forms["zh_Hant"]:
                swaps.append((converted, preferred))
    swaps.sort(key=lambda s: -len(s[0]))
    return cc, swaps


def hant(text: str, cc: opencc.OpenCC, swaps: list[tuple[str, str]]) -> str:
    out = cc.convert(text)
    for i, name in enumerate(PROTECTED):
        out = out.replace(name, f"\x00{i}\x00")
    for old, new in swaps:
        out = out.replace(old, new)
    for i, name in enumerate(PROTECTED):
        out = out.replace(f"\x00{i}\x00", name)
    return out


def main(files: list[str]) -> None:
    cc, swaps = converter()
    for name in files:
        path = Path(name)
        todo = [r for r in runs(path.read_text(encoding="utf-8").split("\n")) if "zh_Hant" not in r.entries]
        done = {r.key: hant(r.entries["zh_Hans"][2], cc, swaps) for r in todo if "zh_Hans" in r.entries}
        text = apply(path, "zh_Hant", done)
        check(text, path)
        path.write_text(text, encoding="utf-8")
        print(f"{path}: {len(done)} texts")


if __name__ == "__main__":
    main(sys.argv[1:])
