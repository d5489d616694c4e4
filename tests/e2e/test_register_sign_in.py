"""A candidate registers and signs in through real Chromium, in each of the four languages."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import prc_id

pytestmark = pytest.mark.browser

LANGS = [
    # (switcher button, <html lang>, register link text, sign-in heading, account heading)
    ("简体中文", "zh-Hans", "注册", "登录", "我的账户"),
    ("繁體中文", "zh-Hant", "註冊", "登入", "我的帳戶"),
    ("English", "en", "Register", "Sign in", "My account"),
    ("Português", "pt", "Registar", "Entrar", "A minha conta"),
]


@pytest.mark.parametrize("button,tag,register,sign_in,account", LANGS)
def test_register_and_sign_in(live_server: Any, page: Any, button: str, tag: str, register: str,
                              sign_in: str, account: str) -> None:
    n = LANGS.index((button, tag, register, sign_in, account)) + 500
    email = f"e2e{n}@example.com"
    page.goto(live_server.url + "/")
    page.get_by_role("button", name=button).click()
    assert page.locator("html").get_attribute("lang") == tag

    page.locator("nav.account-menu").get_by_role("link", name=register, exact=True).click()
    assert page.locator("html").get_attribute("lang") == tag
    page.locator("#name_zh").fill("陈美玲")
    page.locator("#name_en").fill("Chen Meiling")
    page.locator("#name_family").fill("Chen")
    page.locator("#email").fill(email)
    page.locator("#id_type").select_option("prc_id")
    page.locator("#id_number").fill(prc_id(n))
    page.locator("#password").fill("e2e-password-123")
    page.locator("#confirm").fill("e2e-password-123")
    page.locator("#submit").click()
    page.wait_for_url("**/account")
    assert page.get_by_role("heading", name=account).is_visible()
    assert prc_id(n) not in page.content()  # the ID number is masked

    page.locator("form[action='/auth/sign-out'] button").click()
    page.locator("nav.account-menu").get_by_role("link", name=sign_in, exact=True).click()
    page.locator("#email").fill(email)
    page.locator("#password").fill("e2e-password-123")
    page.locator("#submit").click()
    page.wait_for_url(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == tag
    page.goto(live_server.url + "/account")
    assert page.get_by_role("heading", name=account).is_visible()


def test_keyboard_only_registration(live_server: Any, page: Any) -> None:
    """Tab order reaches every field in visual order and Enter submits."""
    page.goto(live_server.url + "/auth/register")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    order = []
    for _ in range(30):
        page.keyboard.press("Tab")
        el = page.evaluate("document.activeElement.id")
        if el:
            order.append(el)
        if el == "submit":
            break
    assert order == ["name_zh", "name_en", "name_family", "email", "id_type", "id_number", "photo", "password", "confirm",
                     "submit"]
