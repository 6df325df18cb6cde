import subprocess
import sys


def test_sim_core_imports_neither_pygame_nor_torch():
    code = (
        "import sys, pkgutil, importlib, sim_core\n"
        "for m in pkgutil.walk_packages(sim_core.__path__, 'sim_core.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('pygame', 'pygame_gui', 'torch'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
