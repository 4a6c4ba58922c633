# Conan 2 recipe documenting edge-connector's third-party dependencies, for consumers who build with Conan.
#
# The supported build of this repository uses Debian 12 packages installed by scripts/bootstrap.sh; this file
# is not used by it and is not tested in CI. Versions match Debian 12 (bookworm), the versions the code is
# built and tested against. Usage:
#
#   conan install conan --output-folder=build/conan --build=missing
#   cmake --preset default -DCMAKE_TOOLCHAIN_FILE=build/conan/conan_toolchain.cmake
from conan import ConanFile
from conan.tools.cmake import cmake_layout


class EdgeConnectorDeps(ConanFile):
    name = "edge-connector-deps"
    settings = "os", "arch", "compiler", "build_type"
    generators = "CMakeDeps", "CMakeToolchain"

    def requirements(self):
        # Plugin SDK (header-only) for plugin authors: only RapidJSON.
        self.requires("rapidjson/cci.20220822")
        # Runtime, CLI and examples.
        self.requires("abseil/20220623.1")
        self.requires("boost/1.74.0")             # Boost.DLL (header-only use)
        self.requires("openssl/3.0.12")           # SHA-256 for the content-addressed plugin store
        self.requires("valijson/1.0")             # JSON Schema validation (draft 7)
        self.requires("cli11/2.3.1")
        self.requires("sqlite3/3.40.1")           # examples/sqlite_query
        self.requires("libcurl/7.88.1")           # examples/http_request
        self.requires("simdjson/3.0.1")           # protocol codec
        # Installed by scripts/bootstrap.sh for the connector's link and bundle handling (later issues).
        self.requires("libwebsockets/4.1.6")
        self.requires("libarchive/3.6.2")

    def build_requirements(self):
        self.test_requires("gtest/1.12.1")
        self.test_requires("benchmark/1.7.1")
        self.tool_requires("cmake/[>=3.25]")
        self.tool_requires("ninja/[>=1.11]")

    def layout(self):
        cmake_layout(self)
