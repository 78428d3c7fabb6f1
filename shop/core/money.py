"""Money as an exact Decimal amount with its ISO 4217 currency; never a float."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# Minor units per currency; anything not listed has two.
_MINOR_UNITS = {"JPY": 0, "KRW": 0, "BHD": 3, "KWD": 3}


def minor_units(currency: str) -> int:
    return _MINOR_UNITS.get(currency.upper(), 2)


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError("Money.amount must be a Decimal")
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise ValueError(f"invalid currency code {self.currency!r}")

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str) -> Money:
        return cls(Decimal(str(amount)), currency.upper()).quantized()

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls.of(0, currency)

    def quantized(self) -> Money:
        exponent = Decimal(1).scaleb(-minor_units(self.currency))
        return Money(self.amount.quantize(exponent, rounding=ROUND_HALF_UP), self.currency)

    def _check(self, other: Money) -> None:
        if not isinstance(other, Money) or other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {getattr(other, 'currency', other)!r}")

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: int | Decimal) -> Money:
        if isinstance(factor, float):
            raise TypeError("multiply Money by an int or a Decimal, never a float")
        return Money(self.amount * factor, self.currency).quantized()

    __rmul__ = __mul__

    def to_minor(self) -> int:
        """Integer minor units, as payment processors want them (e.g. paise, cents)."""
        return int(self.quantized().amount.scaleb(minor_units(self.currency)))

    @classmethod
    def from_minor(cls, value: int, currency: str) -> Money:
        return cls.of(Decimal(value).scaleb(-minor_units(currency)), currency)

    def display(self) -> str:
        """How pages, emails and messages show an amount: "INR 2,499.00", the currency first,
        grouped digits, the currency's own minor units (``{{ amount|money:currency }}`` in templates)."""
        return f"{self.currency} {self.quantized().amount:,}"

    def __str__(self) -> str:
        """Messages, the admin and logs show an amount as pages do, so staff and shoppers read
        one format."""
        return self.display()
