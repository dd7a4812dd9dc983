# Scripts run as programs: a python3-lxc-style script unchanged but for
# `import xc as lxc`, and the seed walkthrough example.
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))


def _env(base):
    env = dict(os.environ)
    env["XC_PATH"] = base
    return env


def test_a_python3_lxc_script_runs_after_import_xc_as_lxc(base, bridge):
    p = subprocess.run([sys.executable, os.path.join(HERE, "lxc_style_script.py"), "web", bridge, "10.254.232.2/24"],
                       env=_env(base), capture_output=True, text=True, timeout=240)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Container state: RUNNING" in p.stdout
    assert "Container IPs: 10.254.232.2" in p.stdout
    assert "Memory limit: %d" % (128 << 20) in p.stdout
    assert "Containers: web web-copy" in p.stdout
    assert "Containers left: 0" in p.stdout
    with open(os.path.join(base, "out.txt")) as f:
        assert f.read() == "web\nok\n"


def test_seed_walkthrough_example(base):
    p = subprocess.run([sys.executable, os.path.join(SOURCE, "share", "examples", "seed-walkthrough.py")],
                       env=_env(base), capture_output=True, text=True, timeout=240)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "RUNNING" in p.stdout and "STOPPED" in p.stdout
    assert os.listdir(base) == [] or all(n.startswith(".") for n in os.listdir(base))
