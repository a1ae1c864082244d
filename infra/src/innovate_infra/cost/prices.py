"""The price table (``prices.yaml``, shipped beside this module) and the assumed usage
volumes (``infra/config/cost/usage.yaml``), validated on load with clear errors."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

M = TypeVar("M", bound=BaseModel)

PRICES_FILE = Path(__file__).resolve().parent / "prices.yaml"
USAGE_FILE = Path(__file__).resolve().parents[3] / "config" / "cost" / "usage.yaml"


class CostError(Exception):
    """A template or an input the estimate cannot price; the message says what to fix."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Price(_Model):
    usd: Annotated[float, Field(ge=0)]
    unit: str = "hour"
    confirmed: bool
    source: str = Field(min_length=1)


class PriceTable(_Model):
    region: str
    currency: str
    as_of: str
    hours_per_month: Annotated[int, Field(ge=672, le=744)]
    prices: dict[str, Price]
    ec2_instance_hour: dict[str, Price]
    rds_instance_hour: dict[str, Price]

    def price(self, key: str) -> Price:
        try:
            return self.prices[key]
        except KeyError:
            raise CostError(f"{PRICES_FILE.name}: no price {key!r} under prices") from None

    def instance(self, table: str, instance_type: str) -> Price:
        prices: dict[str, Price] = getattr(self, table)
        if instance_type not in prices:
            raise CostError(
                f"{PRICES_FILE.name}: no price for {instance_type!r} under {table}: add its "
                f"on-demand hourly price for {self.region}"
            )
        return prices[instance_type]


class Usage(_Model):
    scopes: dict[str, dict[str, Annotated[float, Field(ge=0)]]]

    def volume(self, scope: str, key: str, file: str) -> float:
        volumes = self.scopes.get(scope)
        if volumes is None:
            raise CostError(f"{file}: scopes.{scope}: missing (assumed volumes of this scope)")
        if key not in volumes:
            raise CostError(
                f"{file}: scopes.{scope}.{key}: missing; a usage-priced resource of {scope} "
                "needs its assumed monthly volume"
            )
        return volumes[key]


def _read(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CostError(f"{path}: {exc}") from None


def _parse(model: type[M], path: Path) -> M:
    data = _read(path)
    if isinstance(data, dict):
        # YAML anchors' holders (keys starting with "_") are not data.
        data = {k: v for k, v in data.items() if not str(k).startswith("_")}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        lines = [
            f"{path.name}: {'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
            for err in exc.errors()
        ]
        raise CostError("\n".join(lines)) from None


def load_prices(path: Path = PRICES_FILE) -> PriceTable:
    return _parse(PriceTable, path)


def load_usage(path: Path = USAGE_FILE) -> Usage:
    return _parse(Usage, path)
