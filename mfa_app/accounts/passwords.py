"""Password rules: 8 to 256 characters, not one of the most common passwords."""

from __future__ import annotations

from mfa_app.accounts.errors import AccountError

MIN_LENGTH = 8
MAX_LENGTH = 256
# The rules as a person reads them before choosing a password.
RULES = f"At least {MIN_LENGTH} characters, and not a common password."
COMMON_PASSWORDS = frozenset(
    [
        "123456",
        "123456789",
        "12345678",
        "password",
        "qwerty123",
        "qwerty1",
        "111111",
        "12345",
        "secret",
        "123123",
        "1234567890",
        "1234567",
        "000000",
        "qwerty",
        "abc123",
        "password1",
        "iloveyou",
        "11111111",
        "dragon",
        "monkey",
        "123321",
        "654321",
        "qwertyuiop",
        "123qwe",
        "1q2w3e4r",
        "1q2w3e4r5t",
        "zaq12wsx",
        "passw0rd",
        "password123",
        "letmein",
        "welcome",
        "welcome1",
        "football",
        "baseball",
        "sunshine",
        "princess",
        "admin",
        "admin123",
        "administrator",
        "login",
        "starwars",
        "whatever",
        "trustno1",
        "master",
        "hello123",
        "freedom",
        "shadow",
        "superman",
        "batman",
        "michael",
        "jennifer",
        "charlie",
        "liverpool",
        "987654321",
        "88888888",
        "99999999",
        "12341234",
        "asdfghjk",
        "asdfasdf",
        "asdf1234",
        "qazwsxedc",
        "1qaz2wsx",
        "zxcvbnm",
        "zxcvbnm1",
        "computer",
        "internet",
        "changeme",
        "default",
        "p@ssw0rd",
        "p@ssword",
        "pa$$word",
        "letmein1",
        "iloveyou1",
        "mypassword",
        "password12",
        "password!",
        "1password",
    ]
)


def check_new_password(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise AccountError("form_password_length_too_short", f"Use a password of at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise AccountError("form_password_length_too_long", f"Use a password of at most {MAX_LENGTH} characters.")
    if password.lower() in COMMON_PASSWORDS:
        raise AccountError(
            "form_password_pwned", "This password is one of the most common ones. Choose a less guessable password."
        )
