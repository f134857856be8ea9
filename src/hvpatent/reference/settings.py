"""Settings files checked against the package's own: a user's copy (in the config folder, `hvp config path`) may
hold only the keys it changes; every key it holds must be one the shipped file has, with a value of the same kind
(a number for a number, true/false for a flag, text for text, a mapping for a mapping).  Every wrong value names the
file and the key.  Used by the supervision, tasks and schedule rooms' settings."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml

from hvpatent.reference.safe_yaml import safe_load
from hvpatent.reference.userconfig import config_file

MAX_BYTES = 1 << 20


class SettingsError(ValueError):
    """A settings file that cannot be used; the message names the file and the key."""


def fail(source: str, where: str, zh: str, en: str, value: object = ..., error: type[SettingsError] = SettingsError
         ) -> SettingsError:
    tail = "" if value is ... else f": {value!r}"
    return error(f"{source}: {where}: {zh} / {en}{tail}")


def settings_paths(package: str, shipped_name: str, user_name: str) -> tuple[Path, Path]:
    """The package's own settings file and the one to read: the user's ``user_name`` in the config folder (`hvp
    config path`) when there is one, else the package's ``shipped_name``.  One rule for every room's settings."""
    shipped = Path(str(resources.files(package).joinpath(shipped_name)))
    user = config_file(package, user_name)
    return shipped, user if isinstance(user, Path) and user.is_file() else shipped


def read_settings(file: Path, error: type[SettingsError] = SettingsError) -> dict:
    """The file's mapping ({} when empty); ``error`` naming the file when it is too large, not UTF-8, not YAML or
    not a mapping."""
    try:
        if file.stat().st_size > MAX_BYTES:
            raise fail(str(file), "(file)", "文件超过 1 MiB", "the file is over 1 MiB", error=error)
        text = file.read_bytes().decode("utf-8")
    except OSError as err:
        raise fail(str(file), "(file)", "无法读取", f"cannot read: {err.strerror or err}", error=error) from None
    except UnicodeDecodeError:
        raise fail(str(file), "(file)", "不是 UTF-8 编码", "not UTF-8 text", error=error) from None
    try:
        data = safe_load(text, MAX_BYTES)  # no anchors or aliases: an alias bomb is refused, not expanded
    except yaml.YAMLError as err:
        raise fail(str(file), "(file)", "YAML 有误", f"bad YAML: {err}", error=error) from None
    except (ValueError, TypeError) as err:  # e.g. an impossible unquoted date (start: 2024-13-01)
        raise fail(str(file), "(file)", "YAML 中有无效的值", f"a value YAML cannot read: {err}", error=error) from None
    except RecursionError:
        raise fail(str(file), "(file)", "嵌套过深", "nested too deeply", error=error) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise fail(str(file), "(file)", "应为键值表", "expected a mapping of sections", error=error)
    return data


def overlay(shipped: object, given: object, source: str, where: str = "",
            error: type[SettingsError] = SettingsError) -> object:
    """``given`` checked against ``shipped`` (same keys, same kinds of value), missing keys filled from it.  A list
    in the shipped file takes a list whose items are of the kind of the shipped list's first item; an empty shipped
    list (a list of names, such as plan keys or indicator keys) takes a list of non-empty texts."""
    if isinstance(shipped, dict):
        if not isinstance(given, dict):
            raise fail(source, where, "应为键值表", "expected a mapping", given, error)
        unknown = sorted(set(given) - set(shipped), key=str)
        if unknown:
            raise fail(source, f"{where}.{unknown[0]}" if where else str(unknown[0]), "未知的键", "unknown key",
                       error=error)
        return {k: overlay(v, given[k], source, f"{where}.{k}" if where else k, error) if k in given else v
                for k, v in shipped.items()}
    if isinstance(shipped, list):
        if not isinstance(given, list):
            raise fail(source, where, "应为列表", "expected a list", given, error)
        if not shipped:  # every empty list the product ships holds names: keys of plans, of indicators
            return [overlay("text", item, source, f"{where}[{i}]", error) for i, item in enumerate(given)]
        return [overlay(shipped[0], item, source, f"{where}[{i}]", error) for i, item in enumerate(given)]
    if isinstance(shipped, bool):
        if not isinstance(given, bool):
            raise fail(source, where, "应为 true 或 false", "expected true or false", given, error)
        return given
    if isinstance(shipped, int | float):
        if isinstance(given, bool) or not isinstance(given, int | float) or given != given or given < 0:
            raise fail(source, where, "应为不小于 0 的数", "expected a number of at least 0", given, error)
        if isinstance(shipped, int) and not isinstance(shipped, bool) and given != int(given):
            raise fail(source, where, "应为整数", "expected a whole number", given, error)
        if given > 10**9:
            raise fail(source, where, "数值过大", "too large", given, error)
        return type(shipped)(given)
    if not isinstance(given, str) or not given.strip():
        raise fail(source, where, "应为非空文本", "expected text", given, error)
    return given
