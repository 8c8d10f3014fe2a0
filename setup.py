"""Build of the work_queue Python package.

The extension work_queue._core is the Cython layer (work_queue/_core.pyx,
which includes _task.pxi and _queue.pxi) linked with the C library compiled
from csrc/*.c (minus the *_test.c unit tests). The native worker, wq_worker,
is linked from csrc/worker/*.c and the same library objects, and ships inside
the package as work_queue/bin/wq_worker; the console scripts wq_worker and
work_queue_worker exec it. The catalog server, wq_catalog_server, is linked
the same way from csrc/catalog/*.c and ships as
work_queue/bin/wq_catalog_server (console script wq_catalog_server).

The C sources are compiled with the project's flags (-std=c11 -D_GNU_SOURCE
-Wall -Wextra -Werror -Wno-unused-parameter). The Cython-generated C gets
the same warnings; set WQ_CYTHON_NO_WERROR=1 to drop -Werror for it alone if
another Cython version emits a warning there.

Metadata lives in pyproject.toml.
"""

import glob
import os

from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
CSTD = ["-std=c11", "-D_GNU_SOURCE"]
WARN = ["-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter"]
INCLUDE = ["csrc", "csrc/include"]


def c_sources(folder):
    """The non-test C sources of folder (relative to the project root), sorted."""
    return sorted(p for p in glob.glob(os.path.join(folder, "*.c")) if not p.endswith("_test.c"))


class BuildWithWorker(build_ext):
    """build_ext that first compiles the C library (strict flags) and links it
    into the extension, then links wq_worker and wq_catalog_server into bin/
    next to the extension."""

    def link_program(self, name, folder, lib_objs, bindir):
        """Compile folder's non-test sources and link them with the library
        objects into the executable bindir/name."""
        objs = self.compiler.compile(
            c_sources(folder),
            output_dir=self.build_temp,
            include_dirs=INCLUDE,
            extra_postargs=CSTD + WARN,
            debug=self.debug,
        )
        self.compiler.link_executable(
            objs + list(lib_objs),
            name,
            output_dir=bindir,
            libraries=["m"],
            debug=self.debug,
        )
        os.chmod(os.path.join(bindir, name), 0o755)

    def build_extension(self, ext):
        lib_objs = self.compiler.compile(
            c_sources("csrc"),
            output_dir=self.build_temp,
            include_dirs=INCLUDE,
            extra_postargs=CSTD + WARN + ["-fvisibility=hidden"],
            debug=self.debug,
        )
        ext.extra_objects = list(lib_objs)
        super().build_extension(ext)

        bindir = os.path.join(os.path.dirname(self.get_ext_fullpath(ext.name)), "bin")
        os.makedirs(bindir, exist_ok=True)
        self.link_program("wq_worker", "csrc/worker", lib_objs, bindir)
        self.link_program("wq_catalog_server", "csrc/catalog", lib_objs, bindir)


cython_warn = [w for w in WARN if not (w == "-Werror" and os.environ.get("WQ_CYTHON_NO_WERROR"))]

core = Extension(
    "work_queue._core",
    sources=["work_queue/_core.pyx"],
    # only the public header: -Icsrc would let csrc/sched.h shadow the
    # system <sched.h> that Python.h includes
    include_dirs=["csrc/include"],
    extra_compile_args=CSTD + cython_warn,
    libraries=["m"],
    depends=glob.glob("csrc/*.h") + glob.glob("csrc/include/*.h") + c_sources("csrc")
    + glob.glob("csrc/worker/*.[ch]") + glob.glob("csrc/catalog/*.[ch]"),
)

if __name__ == "__main__":
    os.chdir(HERE)
    setup(
        ext_modules=cythonize([core], build_dir="build/cython", compiler_directives={"language_level": "3"}),
        cmdclass={"build_ext": BuildWithWorker},
    )
