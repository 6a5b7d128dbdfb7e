#!/usr/bin/env python3
"""mklayout.py - write a reproducible OCI image layout with one or more platforms (for Dockyard's tests).

  mklayout.py DIR [--tag v1] [--platform linux/amd64]... [--layer-size BYTES]... [--seed S]
                  [--format oci|docker] [--index] [--text TEXT]

Each platform gets one image: a config (with that platform and matching rootfs.diff_ids) and one gzip tar
layer per --layer-size (default: one layer of 1024 bytes). Layer i holds /layer-<i>.bin, made of
pseudo-random (incompressible) bytes from SEED, the platform and i, plus /hello.txt (TEXT) in layer 0, so
the same arguments always give the same digests and different platforms never share layers. Large layers are
streamed through files; memory stays small.

With several platforms (or --index) the tag points at an index (OCI image index, or a Docker manifest list
with --format docker) listing one manifest per platform; with one platform it points at the manifest.
The layout is created or extended: other tags already in DIR's index.json are kept, blobs are shared.
Prints a JSON summary on stdout: the tag's descriptor and, per platform, the manifest, config and layers.
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import random
import shutil
import tarfile
import tempfile

OCI = {
    "manifest": "application/vnd.oci.image.manifest.v1+json",
    "index": "application/vnd.oci.image.index.v1+json",
    "config": "application/vnd.oci.image.config.v1+json",
    "layer": "application/vnd.oci.image.layer.v1.tar+gzip",
}
DOCKER = {
    "manifest": "application/vnd.docker.distribution.manifest.v2+json",
    "index": "application/vnd.docker.distribution.manifest.list.v2+json",
    "config": "application/vnd.docker.container.image.v1+json",
    "layer": "application/vnd.docker.image.rootfs.diff.tar.gzip",
}
CHUNK = 1 << 20


class HashingWriter:
    """A file object that hashes and counts what is written through it."""

    def __init__(self, f):
        self.f = f
        self.h = hashlib.sha256()
        self.n = 0

    def write(self, data):
        self.h.update(data)
        self.n += len(data)
        return self.f.write(data)

    def flush(self):
        self.f.flush()


class RandomReader:
    """`size` deterministic pseudo-random bytes, read in pieces."""

    def __init__(self, seed, size):
        self.rnd = random.Random(seed)
        self.left = size

    def read(self, n=-1):
        if self.left <= 0:
            return b""
        n = self.left if n is None or n < 0 else min(n, self.left)
        self.left -= n
        return self.rnd.getrandbits(8 * n).to_bytes(n, "little") if n else b""


def put_blob(root, data):
    digest = hashlib.sha256(data).hexdigest()
    path = os.path.join(root, "blobs", "sha256", digest)
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)
    return "sha256:" + digest, len(data)


def make_layer(root, tmp, seed, index, size, text):
    """Writes one gzip tar layer into the layout; returns (digest, size, diff_id)."""
    tar_path = os.path.join(tmp, "layer.tar")
    with open(tar_path, "wb") as raw:
        with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tf:
            members = []
            if index == 0:
                members.append(("hello.txt", len(text), io.BytesIO(text)))
            members.append(("layer-%d.bin" % index, size, RandomReader("%s/%d" % (seed, index), size)))
            for name, length, reader in members:
                info = tarfile.TarInfo(name)
                info.size = length
                info.mode = 0o644
                info.mtime = 0
                info.uid = info.gid = 0
                info.uname = info.gname = "root"
                tf.addfile(info, reader)
    diff = hashlib.sha256()
    gz_path = os.path.join(tmp, "layer.tar.gz")
    with open(tar_path, "rb") as src, open(gz_path, "wb") as out:
        writer = HashingWriter(out)
        with gzip.GzipFile(filename="", fileobj=writer, mode="wb", mtime=0, compresslevel=1) as gz:
            while True:
                piece = src.read(CHUNK)
                if not piece:
                    break
                diff.update(piece)
                gz.write(piece)
    digest = writer.h.hexdigest()
    final = os.path.join(root, "blobs", "sha256", digest)
    if os.path.exists(final):
        os.unlink(gz_path)
    else:
        shutil.move(gz_path, final)
    os.unlink(tar_path)
    return "sha256:" + digest, writer.n, "sha256:" + diff.hexdigest()


def parse_platform(text):
    parts = text.split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise SystemExit("bad --platform %r: expected os/arch[/variant]" % text)
    platform = {"os": parts[0], "architecture": parts[1]}
    if len(parts) == 3:
        platform["variant"] = parts[2]
    return platform


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir")
    ap.add_argument("--tag", default="v1")
    ap.add_argument("--platform", action="append", default=[])
    ap.add_argument("--layer-size", action="append", type=int, default=[])
    ap.add_argument("--seed", default="dockyard")
    ap.add_argument("--format", choices=["oci", "docker"], default="oci")
    ap.add_argument("--index", action="store_true", help="use an index even for one platform")
    ap.add_argument("--text", default="hello from dockyard\n")
    args = ap.parse_args()

    types = OCI if args.format == "oci" else DOCKER
    platforms = args.platform or ["linux/amd64"]
    sizes = args.layer_size or [1024]
    if any(s < 0 for s in sizes):
        raise SystemExit("--layer-size must not be negative")
    root = args.dir
    os.makedirs(os.path.join(root, "blobs", "sha256"), exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".mklayout-", dir=root)
    images = []
    try:
        for text in platforms:
            platform = parse_platform(text)
            layers = []
            for i, size in enumerate(sizes):
                digest, length, diff_id = make_layer(root, tmp, "%s/%s" % (args.seed, text), i, size, args.text.encode())
                layers.append({"mediaType": types["layer"], "digest": digest, "size": length, "diffID": diff_id})
            config = dict(platform)
            config.update({
                "created": "1970-01-01T00:00:00Z",
                "config": {"Cmd": ["/bin/cat", "/hello.txt"], "Labels": {"org.example.seed": args.seed}},
                "rootfs": {"type": "layers", "diff_ids": [l["diffID"] for l in layers]},
                "history": [{"created": "1970-01-01T00:00:00Z", "created_by": "mklayout.py layer %d" % i}
                            for i in range(len(layers))],
            })
            config_bytes = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
            config_digest, config_size = put_blob(root, config_bytes)
            manifest = {
                "schemaVersion": 2,
                "mediaType": types["manifest"],
                "config": {"mediaType": types["config"], "digest": config_digest, "size": config_size},
                "layers": [{"mediaType": l["mediaType"], "digest": l["digest"], "size": l["size"]} for l in layers],
            }
            manifest_bytes = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
            manifest_digest, manifest_size = put_blob(root, manifest_bytes)
            images.append({
                "platform": text,
                "manifest": {"mediaType": types["manifest"], "digest": manifest_digest, "size": manifest_size,
                             "platform": platform},
                "config": {"mediaType": types["config"], "digest": config_digest, "size": config_size},
                "layers": layers,
            })
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    if len(images) > 1 or args.index:
        index = {"schemaVersion": 2, "mediaType": types["index"],
                 "manifests": [img["manifest"] for img in images]}
        index_bytes = json.dumps(index, sort_keys=True, separators=(",", ":")).encode()
        digest, size = put_blob(root, index_bytes)
        top = {"mediaType": types["index"], "digest": digest, "size": size}
    else:
        m = images[0]["manifest"]
        top = {"mediaType": m["mediaType"], "digest": m["digest"], "size": m["size"]}

    index_path = os.path.join(root, "index.json")
    layout_index = {"schemaVersion": 2, "mediaType": OCI["index"], "manifests": []}
    if os.path.exists(index_path):
        with open(index_path) as f:
            layout_index = json.load(f)
    layout_index["manifests"] = [m for m in layout_index.get("manifests", [])
                                 if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != args.tag]
    entry = dict(top)
    entry["annotations"] = {"org.opencontainers.image.ref.name": args.tag}
    layout_index["manifests"].append(entry)
    with open(index_path + ".tmp", "w") as f:
        json.dump(layout_index, f, sort_keys=True, separators=(",", ":"))
    os.replace(index_path + ".tmp", index_path)
    with open(os.path.join(root, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    print(json.dumps({"layout": os.path.abspath(root), "tag": args.tag, "descriptor": top, "images": images},
                     sort_keys=True))


if __name__ == "__main__":
    main()
