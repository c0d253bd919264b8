package io.lading.http;

import static io.lading.http.Manifests.OCI_INDEX;
import static io.lading.http.Manifests.OCI_MANIFEST;
import static io.lading.http.TestRegistry.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lading.core.Digest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Manifests, tags, referrers, catalog and deletes over real HTTP. Each test uses its own repository. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ManifestApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private TestRegistry reg;

    @BeforeAll
    void start() throws Exception {
        reg = new TestRegistry();
    }

    @AfterAll
    void stop() throws Exception {
        reg.close();
    }

    /** Pushes config + layer and returns an image manifest referencing them (not yet pushed). */
    private String imageIn(String repo, String seed) throws Exception {
        byte[] config = ("{\"seed\":\"" + seed + "\"}").getBytes(StandardCharsets.UTF_8);
        byte[] layer = ("layer-" + seed).getBytes(StandardCharsets.UTF_8);
        Digest c = reg.pushBlob(repo, config);
        Digest l = reg.pushBlob(repo, layer);
        return Manifests.image(c, config.length, l, layer.length);
    }

    private static JsonNode json(HttpResponse<byte[]> r) throws Exception {
        return JSON.readTree(r.body());
    }

    @Test
    void pushedManifestIsServedByteForByteByTagAndDigest() throws Exception {
        String m = imageIn("m1", "a").replace(",", ",\n  "); // odd formatting must survive
        HttpResponse<byte[]> put = reg.putManifest("m1", "v1", OCI_MANIFEST, m);
        assertThat(put.statusCode()).isEqualTo(201);
        Digest d = Manifests.digest(m);
        assertThat(put.headers().firstValue("Docker-Content-Digest")).hasValue(d.toString());
        assertThat(put.headers().firstValue("Location")).hasValue("/v2/m1/manifests/" + d);
        for (String ref : new String[]{"v1", d.toString()}) {
            HttpResponse<byte[]> get = reg.send("GET", "/v2/m1/manifests/" + ref, null, "Accept", OCI_MANIFEST);
            assertThat(get.statusCode()).isEqualTo(200);
            assertThat(text(get)).isEqualTo(m);
            assertThat(get.headers().firstValue("Content-Type")).hasValue(OCI_MANIFEST);
            assertThat(get.headers().firstValue("Docker-Content-Digest")).hasValue(d.toString());
        }
        HttpResponse<byte[]> head = reg.send("HEAD", "/v2/m1/manifests/v1", null);
        assertThat(head.headers().firstValue("Content-Length")).hasValue(String.valueOf(m.length()));
    }

    @Test
    void manifestReferencingUnknownBlobIsRejected() throws Exception {
        Digest missing = Digest.of(Digest.Algorithm.SHA256, "nope".getBytes());
        Digest config = reg.pushBlob("m2", "{}".getBytes());
        String m = Manifests.image(config, 2, missing, 4);
        HttpResponse<byte[]> r = reg.putManifest("m2", "v1", OCI_MANIFEST, m);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(text(r)).contains("MANIFEST_BLOB_UNKNOWN").contains(missing.toString());
        // Nothing of the refused push is kept, under its tag, its digest or as a blob.
        Digest d = Manifests.digest(m);
        for (String path : new String[]{"/v2/m2/manifests/v1", "/v2/m2/manifests/" + d, "/v2/m2/blobs/" + d}) {
            assertThat(reg.send("GET", path, null).statusCode()).as(path).isEqualTo(404);
        }
    }

    @Test
    void aDescriptorWhoseSizeIsNotTheContentsIsRejectedAndNothingIsKept() throws Exception {
        byte[] config = "{\"size\":\"checked\"}".getBytes(StandardCharsets.UTF_8);
        byte[] layer = "sized layer".getBytes(StandardCharsets.UTF_8);
        Digest c = reg.pushBlob("m16", config);
        Digest l = reg.pushBlob("m16", layer);
        for (String m : new String[]{Manifests.image(c, config.length + 1, l, layer.length),
                Manifests.image(c, config.length, l, 1)}) {
            HttpResponse<byte[]> r = reg.putManifest("m16", "v1", OCI_MANIFEST, m);
            assertThat(r.statusCode()).as(m).isEqualTo(400);
            JsonNode error = json(r).get("errors").get(0);
            assertThat(error.get("code").asText()).isEqualTo("MANIFEST_INVALID");
            Digest wrong = m.contains("\"size\":1}") ? l : c;
            assertThat(error.get("message").asText()).contains(wrong + " has ");
            assertThat(error.get("detail").get("digests").toString()).isEqualTo("[\"" + wrong + "\"]");
            for (String path : new String[]{"/v2/m16/manifests/v1", "/v2/m16/manifests/" + Manifests.digest(m)}) {
                assertThat(reg.send("GET", path, null).statusCode()).as(path).isEqualTo(404);
            }
        }
        // One digest given two sizes in one manifest: refused before anything is looked up.
        String twice = Manifests.image(c, config.length, c, config.length + 5);
        HttpResponse<byte[]> r = reg.putManifest("m16", "v1", OCI_MANIFEST, twice);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(text(r)).contains("MANIFEST_INVALID").contains("two sizes");

        String child = Manifests.image(c, config.length, l, layer.length);
        Digest cd = Manifests.digest(child);
        assertThat(reg.putManifest("m16", cd.toString(), OCI_MANIFEST, child).statusCode()).isEqualTo(201);
        HttpResponse<byte[]> index = reg.putManifest("m16", "multi", OCI_INDEX,
                Manifests.index(cd.toString(), String.valueOf(child.length() - 1)));
        assertThat(index.statusCode()).isEqualTo(400);
        assertThat(text(index)).contains("MANIFEST_INVALID").contains(cd + " has " + child.length() + " bytes");
        assertThat(reg.putManifest("m16", "multi", OCI_INDEX, Manifests.index(cd.toString(),
                String.valueOf(child.length()))).statusCode()).isEqualTo(201);
    }

    @Test
    void ifNoneMatchWithTheContentsEntityTagGets304AndIfRangeKeepsARangeOnlyForIt() throws Exception {
        String m = imageIn("m17", "etag");
        Digest d = Manifests.digest(m);
        assertThat(reg.putManifest("m17", "v1", OCI_MANIFEST, m).statusCode()).isEqualTo(201);
        Digest layer = Digest.of(Digest.Algorithm.SHA256, "layer-etag".getBytes(StandardCharsets.UTF_8));
        String other = "\"" + layer + "\"";
        for (String path : new String[]{"/v2/m17/manifests/v1", "/v2/m17/manifests/" + d}) {
            for (String method : new String[]{"GET", "HEAD"}) {
                for (String tag : new String[]{"\"" + d + "\"", "W/\"" + d + "\"", other + ", \"" + d + "\"", "*",
                        d.toString()}) {
                    HttpResponse<byte[]> r = reg.send(method, path, null, "If-None-Match", tag);
                    assertThat(r.statusCode()).as(method + " " + path + " " + tag).isEqualTo(304);
                    assertThat(r.body()).isEmpty();
                    assertThat(r.headers().firstValue("ETag")).hasValue("\"" + d + "\"");
                    assertThat(r.headers().firstValue("Docker-Content-Digest")).hasValue(d.toString());
                }
                HttpResponse<byte[]> changed = reg.send(method, path, null, "If-None-Match", other);
                assertThat(changed.statusCode()).isEqualTo(200);
                assertThat(changed.headers().firstValue("Content-Type")).hasValue(OCI_MANIFEST);
            }
        }
        String blob = "/v2/m17/blobs/" + layer;
        for (String method : new String[]{"GET", "HEAD"}) {
            HttpResponse<byte[]> r = reg.send(method, blob, null, "If-None-Match", other, "Range", "bytes=0-1");
            assertThat(r.statusCode()).as(method).isEqualTo(304);
            assertThat(r.body()).isEmpty();
            assertThat(r.headers().firstValue("Docker-Content-Digest")).hasValue(layer.toString());
            assertThat(reg.send(method, blob, null, "If-None-Match", "\"sha256:" + "0".repeat(64) + "\"")
                    .statusCode()).isEqualTo(200);
        }
        String etag = "\"" + layer + "\"";
        HttpResponse<byte[]> ranged = reg.send("GET", blob, null, "Range", "bytes=1-2", "If-Range", etag);
        assertThat(ranged.statusCode()).as("If-Range naming the blob").isEqualTo(206);
        assertThat(ranged.body()).hasSize(2);
        for (String notIt : new String[]{"\"sha256:" + "0".repeat(64) + "\"", "W/" + etag,
                "Wed, 21 Oct 2015 07:28:00 GMT"}) {
            HttpResponse<byte[]> whole = reg.send("GET", blob, null, "Range", "bytes=1-2", "If-Range", notIt);
            assertThat(whole.statusCode()).as("If-Range " + notIt).isEqualTo(200);
            assertThat(whole.body()).hasSize("layer-etag".length());
        }
        assertThat(reg.send("GET", "/v2/m17/manifests/v2", null, "If-None-Match", "*").statusCode())
                .as("unknown content is still unknown").isEqualTo(404);
    }

    @Test
    void manifestPushedByWrongDigestIsRejected() throws Exception {
        String m = imageIn("m3", "x");
        Digest wrong = Digest.of(Digest.Algorithm.SHA256, "other".getBytes());
        HttpResponse<byte[]> r = reg.putManifest("m3", wrong.toString(), OCI_MANIFEST, m);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(text(r)).contains("DIGEST_INVALID");
    }

    @Test
    void malformedManifestsAreManifestInvalid() throws Exception {
        for (String bad : new String[]{"not json", "[]", "{\"schemaVersion\":1}", "{\"schemaVersion\":2}",
                "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":{\"digest\":\"sha256:x\"}}"}) {
            HttpResponse<byte[]> r = reg.putManifest("m4", "v1", OCI_MANIFEST, bad);
            assertThat(r.statusCode()).as(bad).isEqualTo(400);
            assertThat(text(r)).as(bad).contains("MANIFEST_INVALID");
        }
    }

    @Test
    void manifestOver4MiBIs413() throws Exception {
        String big = "{\"schemaVersion\":2,\"annotations\":{\"x\":\"" + "a".repeat(4 * 1024 * 1024) + "\"}}";
        HttpResponse<byte[]> r = reg.putManifest("m5", "v1", OCI_MANIFEST, big);
        assertThat(r.statusCode()).isEqualTo(413);
    }

    @Test
    void invalidTagIsTagInvalid() throws Exception {
        HttpResponse<byte[]> r = reg.putManifest("m6", "-bad", OCI_MANIFEST, imageIn("m6", "t"));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(text(r)).contains("TAG_INVALID");
    }

    @Test
    void multiTagPushSetsEveryTagAndReportsOciTag() throws Exception {
        String m = imageIn("m7", "multi");
        Digest d = Manifests.digest(m);
        HttpResponse<byte[]> r = reg.putManifest("m7", d + "?tag=1.2.3&tag=1.2&tag=latest", OCI_MANIFEST, m);
        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(String.join(",", r.headers().allValues("OCI-Tag"))).contains("1.2.3", "1.2", "latest");
        JsonNode tags = json(reg.send("GET", "/v2/m7/tags/list", null)).get("tags");
        assertThat(tags.toString()).isEqualTo("[\"1.2\",\"1.2.3\",\"latest\"]");
    }

    @Test
    void indexNeedsItsChildrenAndIsServedWithItsType() throws Exception {
        String child = imageIn("m8", "arm");
        Digest cd = Manifests.digest(child);
        String index = Manifests.index(cd.toString(), String.valueOf(child.length()));
        HttpResponse<byte[]> early = reg.putManifest("m8", "multi", OCI_INDEX, index);
        assertThat(early.statusCode()).isEqualTo(400);
        assertThat(text(early)).contains("MANIFEST_BLOB_UNKNOWN");
        assertThat(reg.putManifest("m8", cd.toString(), OCI_MANIFEST, child).statusCode()).isEqualTo(201);
        assertThat(reg.putManifest("m8", "multi", OCI_INDEX, index).statusCode()).isEqualTo(201);
        HttpResponse<byte[]> get = reg.send("GET", "/v2/m8/manifests/multi", null, "Accept", OCI_INDEX + ", " + OCI_MANIFEST);
        assertThat(get.headers().firstValue("Content-Type")).hasValue(OCI_INDEX);
        assertThat(text(get)).isEqualTo(index);
    }

    @Test
    void acceptHeaderThatExcludesStoredTypeIs404() throws Exception {
        String m = imageIn("m9", "neg");
        reg.putManifest("m9", "v1", OCI_MANIFEST, m);
        HttpResponse<byte[]> r = reg.send("GET", "/v2/m9/manifests/v1", null, "Accept",
                "application/vnd.docker.distribution.manifest.list.v2+json");
        assertThat(r.statusCode()).isEqualTo(404);
        HttpResponse<byte[]> wildcard = reg.send("GET", "/v2/m9/manifests/v1", null, "Accept", "*/*");
        assertThat(wildcard.statusCode()).isEqualTo(200);
        HttpResponse<byte[]> several = reg.send("GET", "/v2/m9/manifests/v1", null, "Accept",
                "application/vnd.docker.distribution.manifest.v2+json", "Accept", OCI_MANIFEST);
        assertThat(several.statusCode()).isEqualTo(200);
    }

    @Test
    void referrersListsManifestsWithSubjectEvenWhenPushedFirst() throws Exception {
        String subject = imageIn("m10", "subject");
        Digest sd = Manifests.digest(subject);
        Digest empty = reg.pushBlob("m10", "{}".getBytes());
        String sbom = Manifests.artifact("application/vnd.example.sbom", empty, sd, subject.length(), "s");
        String sig = Manifests.artifact("application/vnd.example.sig", empty, sd, subject.length(), "g");
        HttpResponse<byte[]> put = reg.putManifest("m10", Manifests.digest(sbom).toString(), OCI_MANIFEST, sbom);
        assertThat(put.statusCode()).isEqualTo(201);
        assertThat(put.headers().firstValue("OCI-Subject")).hasValue(sd.toString());
        reg.putManifest("m10", Manifests.digest(sig).toString(), OCI_MANIFEST, sig);
        reg.putManifest("m10", "v1", OCI_MANIFEST, subject);

        HttpResponse<byte[]> all = reg.send("GET", "/v2/m10/referrers/" + sd, null);
        assertThat(all.statusCode()).isEqualTo(200);
        assertThat(all.headers().firstValue("Content-Type")).hasValue(OCI_INDEX);
        JsonNode idx = json(all);
        assertThat(idx.get("manifests")).hasSize(2);
        JsonNode first = idx.get("manifests").get(0);
        assertThat(first.get("artifactType").asText()).startsWith("application/vnd.example.");
        assertThat(first.get("annotations").get("org.example.note")).isNotNull();

        HttpResponse<byte[]> filtered = reg.send("GET", "/v2/m10/referrers/" + sd
                + "?artifactType=application/vnd.example.sbom", null);
        assertThat(filtered.headers().firstValue("OCI-Filters-Applied")).hasValue("artifactType");
        assertThat(json(filtered).get("manifests")).hasSize(1);
        assertThat(json(filtered).get("manifests").get(0).get("digest").asText()).isEqualTo(Manifests.digest(sbom).toString());
    }

    @Test
    void referrersPaginateWithLinkKeepingTheFilter() throws Exception {
        String subject = imageIn("m16", "paged subject");
        Digest sd = Manifests.digest(subject);
        Digest empty = reg.pushBlob("m16", "{}".getBytes());
        java.util.Set<String> sboms = new java.util.TreeSet<>();
        for (int i = 0; i < 7; i++) {
            String type = i % 2 == 0 ? "application/vnd.example.sbom" : "application/vnd.example.sig";
            String a = Manifests.artifact(type, empty, sd, subject.length(), "n" + i);
            assertThat(reg.putManifest("m16", Manifests.digest(a).toString(), OCI_MANIFEST, a).statusCode()).isEqualTo(201);
            if (i % 2 == 0) {
                sboms.add(Manifests.digest(a).toString());
            }
        }
        java.util.List<String> seen = new java.util.ArrayList<>();
        String next = "/v2/m16/referrers/" + sd + "?n=2&artifactType=application/vnd.example.sbom";
        int pages = 0;
        while (next != null) {
            HttpResponse<byte[]> page = reg.send("GET", next, null);
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.headers().firstValue("OCI-Filters-Applied")).hasValue("artifactType");
            json(page).get("manifests").forEach(m -> {
                assertThat(m.get("artifactType").asText()).isEqualTo("application/vnd.example.sbom");
                seen.add(m.get("digest").asText());
            });
            next = page.headers().firstValue("Link").map(l -> l.substring(1, l.indexOf('>'))).orElse(null);
            pages++;
        }
        assertThat(pages).isEqualTo(2);
        assertThat(seen).containsExactlyElementsOf(sboms); // 4 sboms: 2 + 2, in digest order, none twice
        assertThat(reg.send("GET", "/v2/m16/referrers/" + sd + "?last=nonsense", null).statusCode()).isEqualTo(400);
    }

    @Test
    void referrersOfUnknownDigestIsEmptyIndexAndBadDigestIs400() throws Exception {
        Digest nothing = Digest.of(Digest.Algorithm.SHA256, "nothing".getBytes());
        HttpResponse<byte[]> r = reg.send("GET", "/v2/m11/referrers/" + nothing, null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(json(r).get("manifests")).isEmpty();
        assertThat(json(r).get("schemaVersion").asInt()).isEqualTo(2);
        assertThat(reg.send("GET", "/v2/m11/referrers/sha256:zz", null).statusCode()).isEqualTo(400);
    }

    @Test
    void tagsListPaginatesWithNLastAndLink() throws Exception {
        String m = imageIn("m12", "tags");
        for (String t : new String[]{"b", "a", "c", "e", "d"}) {
            reg.putManifest("m12", t, OCI_MANIFEST, m);
        }
        HttpResponse<byte[]> p1 = reg.send("GET", "/v2/m12/tags/list?n=2", null);
        assertThat(json(p1).get("tags").toString()).isEqualTo("[\"a\",\"b\"]");
        String link = p1.headers().firstValue("Link").orElseThrow();
        assertThat(link).isEqualTo("</v2/m12/tags/list?n=2&last=b>; rel=\"next\"");
        HttpResponse<byte[]> p2 = reg.send("GET", link.substring(1, link.indexOf('>')), null);
        assertThat(json(p2).get("tags").toString()).isEqualTo("[\"c\",\"d\"]");
        HttpResponse<byte[]> p3 = reg.send("GET", "/v2/m12/tags/list?n=2&last=d", null);
        assertThat(json(p3).get("tags").toString()).isEqualTo("[\"e\"]");
        assertThat(p3.headers().firstValue("Link")).isEmpty();
        HttpResponse<byte[]> zero = reg.send("GET", "/v2/m12/tags/list?n=0", null);
        assertThat(json(zero).get("tags")).isEmpty();
        assertThat(zero.headers().firstValue("Link")).isEmpty();
        assertThat(json(reg.send("GET", "/v2/m12/tags/list", null)).get("tags")).hasSize(5);
        assertThat(reg.send("GET", "/v2/m12/tags/list?n=-1", null).statusCode()).isEqualTo(400);
        assertThat(reg.send("GET", "/v2/m12/tags/list?n=abc", null).statusCode()).isEqualTo(400);
    }

    @Test
    void tagsOfUnknownRepositoryIsNameUnknown() throws Exception {
        HttpResponse<byte[]> r = reg.send("GET", "/v2/never/pushed/tags/list", null);
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(text(r)).contains("NAME_UNKNOWN");
    }

    @Test
    void catalogPaginatesInByteOrder() throws Exception {
        for (String repo : new String[]{"zcat/b", "zcat/a", "zcat/c"}) {
            reg.pushBlob(repo, repo.getBytes());
        }
        HttpResponse<byte[]> p = reg.send("GET", "/v2/_catalog?n=2&last=zcat", null);
        assertThat(json(p).get("repositories").toString()).isEqualTo("[\"zcat/a\",\"zcat/b\"]");
        assertThat(p.headers().firstValue("Link")).hasValue("</v2/_catalog?n=2&last=zcat%2Fb>; rel=\"next\"");
    }

    @Test
    void deleteByTagUntagsButKeepsManifest() throws Exception {
        String m = imageIn("m13", "untag");
        Digest d = Manifests.digest(m);
        reg.putManifest("m13", "v1", OCI_MANIFEST, m);
        assertThat(reg.send("DELETE", "/v2/m13/manifests/v1", null).statusCode()).isEqualTo(202);
        assertThat(reg.send("GET", "/v2/m13/manifests/v1", null).statusCode()).isEqualTo(404);
        assertThat(reg.send("GET", "/v2/m13/manifests/" + d, null).statusCode()).isEqualTo(200);
    }

    @Test
    void deleteByDigestRemovesManifestAndItsTags() throws Exception {
        String m = imageIn("m14", "del");
        Digest d = Manifests.digest(m);
        reg.putManifest("m14", "v1", OCI_MANIFEST, m);
        reg.putManifest("m14", "v2", OCI_MANIFEST, m);
        assertThat(reg.send("DELETE", "/v2/m14/manifests/" + d, null).statusCode()).isEqualTo(202);
        assertThat(reg.send("GET", "/v2/m14/manifests/" + d, null).statusCode()).isEqualTo(404);
        assertThat(reg.send("GET", "/v2/m14/manifests/v2", null).statusCode()).isEqualTo(404);
        assertThat(json(reg.send("GET", "/v2/m14/tags/list", null)).get("tags")).isEmpty();
        assertThat(reg.send("DELETE", "/v2/m14/manifests/" + d, null).statusCode()).isEqualTo(404);
        assertThat(reg.send("DELETE", "/v2/nonexistent-repo/manifests/" + d, null).statusCode()).isEqualTo(404);
    }

    @Test
    void concurrentPushesOfOneTagLeaveOneWholeWinner() throws Exception {
        List<String> candidates = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            candidates.add(imageIn("m15", "race" + i));
        }
        try (ExecutorService pool = Executors.newFixedThreadPool(16)) {
            List<Future<Integer>> results = new ArrayList<>();
            for (String m : candidates) {
                results.add(pool.submit(() -> reg.putManifest("m15", "latest", OCI_MANIFEST, m).statusCode()));
            }
            for (Future<Integer> f : results) {
                assertThat(f.get()).isEqualTo(201);
            }
        }
        HttpResponse<byte[]> get = reg.send("GET", "/v2/m15/manifests/latest", null);
        assertThat(candidates).contains(text(get));
        assertThat(get.headers().firstValue("Docker-Content-Digest")).hasValue(Manifests.digest(text(get)).toString());
    }

    @Test
    void dockerSchema2AndManifestListAreAccepted() throws Exception {
        byte[] config = "{\"d\":1}".getBytes();
        Digest c = reg.pushBlob("m16", config);
        Digest l = reg.pushBlob("m16", "docker-layer".getBytes());
        String docker = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"size\":" + config.length
                + ",\"digest\":\"" + c + "\"},\"layers\":[{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\","
                + "\"size\":12,\"digest\":\"" + l + "\"}]}";
        String type = "application/vnd.docker.distribution.manifest.v2+json";
        assertThat(reg.putManifest("m16", "d1", type, docker).statusCode()).isEqualTo(201);
        String list = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.list.v2+json\","
                + "\"manifests\":[{\"mediaType\":\"" + type + "\",\"size\":" + docker.length() + ",\"digest\":\""
                + Manifests.digest(docker) + "\",\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}]}";
        HttpResponse<byte[]> r = reg.putManifest("m16", "list", "application/vnd.docker.distribution.manifest.list.v2+json", list);
        assertThat(r.statusCode()).isEqualTo(201);
        HttpResponse<byte[]> get = reg.send("GET", "/v2/m16/manifests/list", null, "Accept",
                "application/vnd.docker.distribution.manifest.list.v2+json");
        assertThat(get.headers().firstValue("Content-Type")).hasValue("application/vnd.docker.distribution.manifest.list.v2+json");
    }

    @Test
    void mediaTypeThatContradictsContentTypeIsRejected() throws Exception {
        String m = imageIn("m17", "ct");
        HttpResponse<byte[]> r = reg.putManifest("m17", "v1", "application/vnd.docker.distribution.manifest.v2+json", m);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(text(r)).contains("MANIFEST_INVALID");
    }
}
