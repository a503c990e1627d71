# The doctor's image: the binary, CA certificates and glibc, run as a non-root user (65532, as in
# distroless' `nonroot`), nothing else: no shell, no package manager.
#
#   docker build -t openai-doctor .                # compiles this repository in rust:1-bookworm
#   docker run --rm -e OPENAI_API_KEY openai-doctor
#
# Offline (no image can be pulled), scripts/image builds this same file with stand-ins for the two
# base images assembled from this machine's files and a binary already built (PREBUILT); the
# tests in tests/it/containers.rs run what it makes.
ARG BUILDER=rust:1-bookworm
ARG RUNTIME=gcr.io/distroless/cc-debian12:nonroot

FROM ${BUILDER} AS build
# Labelled too, so scripts/image can prune this stage's leftovers after an offline build.
LABEL org.opencontainers.image.title="openai-doctor"
WORKDIR /src
COPY . .
# A path (inside the build context) to a binary already built, e.g. scripts/dist's portable one:
# used as is instead of compiling.
ARG PREBUILT=
RUN mkdir -p /out && if [ -n "$PREBUILT" ]; then cp "$PREBUILT" /out/openai-doctor; \
    else cargo build --release --locked --bin openai-doctor && cp target/release/openai-doctor /out/; fi

FROM ${RUNTIME}
LABEL org.opencontainers.image.title="openai-doctor" \
      org.opencontainers.image.description="Tells you why your calls to the OpenAI API fail, and what to do about it" \
      org.opencontainers.image.source="https://github.com/openai-doctor/openai-doctor"
COPY --from=build /out/openai-doctor /usr/local/bin/openai-doctor
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/openai-doctor"]
