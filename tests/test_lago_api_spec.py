"""`lago_api` follows the spec in use: `lago_api.use_spec(path)`, a first `Configuration(spec=...)`, or
`LAGO_DYN_SPEC`, chosen before the first model. Each case runs in a fresh interpreter, since the choice is
the process's."""

import os
import subprocess
import sys

import pytest

from conftest import shared_spec


def run(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "LAGO_DYN_CACHE_DIR": "", **env})


@pytest.fixture(scope="module")
def full_spec():
    return str(shared_spec("1.51.0"))


def test_use_spec_gives_the_module_level_models_of_that_spec(full_spec):
    done = run("import lago_dyn.lago_api as lago_api\n"
               f"lago_api.use_spec({full_spec!r})\n"
               "event = lago_api.EventInput(event={'transaction_id': 't', 'code': 'c', 'external_subscription_id': 's'})\n"
               f"client = lago_api.ApiClient(lago_api.Configuration(spec={full_spec!r}))\n"
               "print(type(event) is client.models.EventInput, lago_api.SubscriptionCreateInput.__name__)")
    assert done.stdout.split() == ["True", "SubscriptionCreateInput"], done.stderr


def test_a_first_configuration_with_a_spec_chooses_it_and_so_does_the_environment(full_spec):
    first = run("import lago_dyn.lago_api as lago_api\n"
                f"lago_api.Configuration(spec={full_spec!r})\n"
                "print(lago_api.SubscriptionCreateInput.__name__)")
    by_env = run("import lago_dyn.lago_api as lago_api\nprint(lago_api.SubscriptionCreateInput.__name__)",
                 LAGO_DYN_SPEC=full_spec)
    assert first.stdout.strip() == by_env.stdout.strip() == "SubscriptionCreateInput", first.stderr + by_env.stderr


def test_a_model_the_spec_in_use_lacks_names_that_spec_and_both_fixes():
    done = run("import lago_dyn.lago_api as lago_api\n"
               "try:\n    lago_api.EventInput\nexcept AttributeError as error:\n    print(error)")
    assert "has no model 'EventInput'" in done.stdout, done.stderr
    assert "the spec in use is lago_dyn's shipped spec (Lago's Customers API only)" in done.stdout
    assert "lago_api.use_spec(path) or LAGO_DYN_SPEC" in done.stdout and "api_client.models.<Name>" in done.stdout


def test_the_spec_cannot_change_once_a_model_was_made_from_it(full_spec):
    done = run("import warnings\nimport lago_dyn\nimport lago_dyn.lago_api as lago_api\n"
               "lago_api.CustomerCreateInput\n"
               "with warnings.catch_warnings(record=True) as caught:\n"
               "    warnings.simplefilter('always')\n"
               f"    lago_api.Configuration(spec={full_spec!r})\n"
               "print(caught[0].message)\n"
               "try:\n"
               f"    lago_api.use_spec({full_spec!r})\n"
               "except lago_dyn.ConfigurationError as error:\n    print(error)")
    shipped = "lago_dyn's shipped spec (Lago's Customers API only)"
    warned, refused = done.stdout.splitlines()
    assert warned == (f"Configuration(spec=...) uses Lago API documentation 1.51.0 (file://{full_spec}) for its "
                      f"ApiClient, but lago_api's module-level models are made from {shipped}: use "
                      "api_client.models.<Name> for this spec's"), done.stderr
    assert refused.startswith(f"lago_api is already in use with {shipped}: call lago_api.use_spec(...)")
