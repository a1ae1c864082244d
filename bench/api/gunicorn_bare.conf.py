"""gunicorn settings for the bare reference: the API's own gunicorn.conf.py values
(workers, threads, worker class, timeouts, keep-alive, ...) without its hooks (they
initialise the API) and without logging (the reference has none by definition), except
the heap freeze before each fork: server tuning, not the API's set-up, so the reference
has it too and the comparison stays one of the two apps' own layers."""

import gc
import os
import runpy
import types

_LOGGING = {"accesslog", "access_log_format", "logconfig", "logconfig_dict", "logger_class"}
_NOT_OURS = {"bind", "wsgi_app", "pythonpath", "chdir", "raw_env"} | _LOGGING

for _name, _value in runpy.run_path(os.environ["BENCH_API_CONF"]).items():
    if _name.startswith("_") or _name in _NOT_OURS:
        continue
    if callable(_value) or isinstance(_value, types.ModuleType):
        continue  # server hooks and imported modules
    globals()[_name] = _value

accesslog = None


def pre_fork(server, worker):
    gc.freeze()
