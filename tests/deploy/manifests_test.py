"""The deployment files agree with each other and with the image.

Parses every YAML document of deploy/k8s/ and deploy/compose.yaml and checks
the fields that matter: selectors that select the pods, probes on the port the
server listens on, requests within limits, a non-root read-only pod running as
the Dockerfile's user, Services and autoscaler aimed at the Deployment, a
disruption budget that a drain can satisfy, and a compose file whose balancer
names the replicas. The sidecar examples (deploy/k8s/sidecar/,
deploy/compose.sidecar.yaml): app and server share a memory-backed /dev/shm
and the server's Unix socket, run as one uid, and the server, started with
--allow_shared_memory, listens only where its neighbour reaches it. The
schema itself is checked by k8s_schema.test.mjs.
"""

import os
import re
import unittest
from pathlib import Path

import yaml

ROOT = Path(os.environ.get("TT_ROOT", Path(__file__).resolve().parents[2]))
K8S = ROOT / "deploy" / "k8s"
UNITS = {"": 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "Ki": 2**10,
         "Mi": 2**20, "Gi": 2**30}


def quantity(text):
    """A Kubernetes quantity ("500m", "3Gi", 2) as a number."""
    number, unit = re.fullmatch(r"([0-9.]+)([a-zA-Z]*)", str(text)).groups()
    return float(number) * UNITS[unit]


def dockerfile(instruction):
    """The argument of the final stage's INSTRUCTION in the Dockerfile."""
    final = (ROOT / "Dockerfile").read_text().split("\nFROM ")[-1]
    return re.search(rf"^{instruction} (.+)$", final, re.M).group(1).strip()


def flag(args, name):
    values = [a.split("=", 1)[1] for a in args if a.startswith(f"--{name}=")]
    return values[-1] if values else None


class KubernetesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.docs = {}
        for path in sorted(K8S.glob("*.yaml")):
            for doc in yaml.safe_load_all(path.read_text()):
                cls.docs.setdefault(doc["kind"], []).append(doc)
        cls.deployment = cls.docs["Deployment"][0]
        cls.pod = cls.deployment["spec"]["template"]
        cls.container = cls.pod["spec"]["containers"][0]
        cls.port = cls.container["ports"][0]["containerPort"]

    def test_every_document_names_itself(self):
        for kind, docs in self.docs.items():
            for doc in docs:
                self.assertIn("apiVersion", doc, kind)
                if kind != "Kustomization":
                    self.assertTrue(doc["metadata"]["name"], kind)

    def test_kustomization_lists_every_manifest(self):
        listed = self.docs["Kustomization"][0]["resources"]
        on_disk = [p.name for p in K8S.glob("*.yaml")
                   if p.name != "kustomization.yaml"]
        self.assertEqual(sorted(listed), sorted(on_disk))

    def test_deployment_selects_its_pods(self):
        selector = self.deployment["spec"]["selector"]["matchLabels"]
        self.assertLessEqual(selector.items(),
                             self.pod["metadata"]["labels"].items())

    def test_server_listens_on_every_interface_at_the_image_port(self):
        self.assertEqual(self.port, int(dockerfile("EXPOSE")))
        self.assertEqual(flag(self.container["args"], "listen"),
                         f"0.0.0.0:{self.port}")

    def test_probes_are_native_grpc_on_the_serving_port(self):
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            self.assertEqual(self.container[probe]["grpc"]["port"], self.port,
                             probe)
            self.assertEqual(set(self.container[probe]) & {"httpGet", "exec",
                                                            "tcpSocket"},
                             set(), probe)

    def test_pod_stops_after_its_pre_stop_pause(self):
        pause = self.container["lifecycle"]["preStop"]["exec"]["command"]
        self.assertEqual(pause[0], "sleep")
        # What is left after the pause is the server's time to drain.
        self.assertGreaterEqual(
            self.pod["spec"]["terminationGracePeriodSeconds"] - int(pause[1]),
            20)

    def test_resources_requested_within_limits(self):
        resources = self.container["resources"]
        for name in ("cpu", "memory"):
            self.assertLessEqual(quantity(resources["requests"][name]),
                                 quantity(resources["limits"][name]), name)
        # One unary call holds its request and its response.
        cap = int(flag(self.container["args"], "max_message_bytes"))
        self.assertLess(2 * cap, quantity(resources["limits"]["memory"]))

    def test_runs_as_the_image_user_non_root_read_only(self):
        pod_security = self.pod["spec"]["securityContext"]
        uid = int(dockerfile("USER").split(":")[0])
        self.assertNotEqual(uid, 0)
        self.assertEqual(pod_security["runAsUser"], uid)
        self.assertTrue(pod_security["runAsNonRoot"])
        security = self.container["securityContext"]
        self.assertTrue(security["readOnlyRootFilesystem"])
        self.assertFalse(security["allowPrivilegeEscalation"])
        self.assertEqual(security["capabilities"]["drop"], ["ALL"])

    def test_services_reach_the_pods_one_of_them_headless(self):
        services = self.docs["Service"]
        self.assertEqual(
            sorted(s["spec"].get("clusterIP", "") for s in services),
            ["", "None"])
        named_ports = {p["name"]: p["containerPort"]
                       for p in self.container["ports"]}
        for service in services:
            self.assertLessEqual(service["spec"]["selector"].items(),
                                 self.pod["metadata"]["labels"].items())
            target = service["spec"]["ports"][0]["targetPort"]
            self.assertEqual(named_ports.get(target, target), self.port)

    def test_autoscaler_scales_the_deployment(self):
        hpa = self.docs["HorizontalPodAutoscaler"][0]["spec"]
        self.assertEqual(
            (hpa["scaleTargetRef"]["kind"], hpa["scaleTargetRef"]["name"]),
            ("Deployment", self.deployment["metadata"]["name"]))
        self.assertLessEqual(1, hpa["minReplicas"])
        self.assertLessEqual(hpa["minReplicas"], hpa["maxReplicas"])
        self.assertIn("cpu", self.container["resources"]["requests"])

    def test_disruption_budget_leaves_room_for_a_drain(self):
        pdb = self.docs["PodDisruptionBudget"][0]["spec"]
        self.assertLessEqual(pdb["selector"]["matchLabels"].items(),
                             self.pod["metadata"]["labels"].items())
        hpa = self.docs["HorizontalPodAutoscaler"][0]["spec"]
        # Otherwise no node holding a replica could ever be drained.
        self.assertLess(pdb["minAvailable"], hpa["minReplicas"])


class ComposeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml")
                                     .read_text())["services"]

    def test_replicas_built_from_the_image_listen_on_every_interface(self):
        server = self.compose["tensor-transform"]
        build = ROOT / "deploy" / server["build"]["context"]
        self.assertTrue((build / server["build"]["dockerfile"]).is_file())
        self.assertGreaterEqual(server["deploy"]["replicas"], 2)
        self.assertEqual(flag(server["command"], "listen"),
                         f"0.0.0.0:{dockerfile('EXPOSE')}")

    def test_balancer_names_the_replicas_and_waits_for_them(self):
        lb = self.compose["lb"]
        self.assertTrue((ROOT / "deploy" / lb["build"]["context"] /
                         "Dockerfile").is_file())
        self.assertEqual(lb["depends_on"]["tensor-transform"]["condition"],
                         "service_healthy")
        upstreams = (ROOT / "deploy" / "nginx" / "upstreams.conf").read_text()
        self.assertRegex(upstreams, rf"(?m)^server tensor-transform:"
                                    rf"{dockerfile('EXPOSE')}\b")
        listen = re.search(r"listen (\d+)",
                           (ROOT / "deploy" / "nginx" / "nginx.conf")
                           .read_text()).group(1)
        self.assertTrue(lb["ports"][0].endswith(f":{listen}"))


def listen_addresses(args):
    return flag(args, "listen").split(",")


class SidecarTest(unittest.TestCase):
    """deploy/k8s/sidecar/ and deploy/compose.sidecar.yaml."""

    @classmethod
    def setUpClass(cls):
        sidecar = K8S / "sidecar"
        cls.kustomization = yaml.safe_load(
            (sidecar / "kustomization.yaml").read_text())
        cls.deployment = yaml.safe_load(
            (sidecar / "deployment.yaml").read_text())
        cls.pod = cls.deployment["spec"]["template"]["spec"]
        containers = {c["name"]: c for c in cls.pod["containers"]}
        cls.server, cls.app = containers["server"], containers["app"]
        cls.compose = yaml.safe_load((ROOT / "deploy" / "compose.sidecar.yaml")
                                     .read_text())

    def mounts(self, container):
        return {m["mountPath"]: m["name"] for m in container["volumeMounts"]}

    def socket(self, args):
        [unix] = [a for a in listen_addresses(args) if a.startswith("unix:")]
        return unix.split(":", 1)[1]

    def test_kustomization_lists_the_deployment_and_it_selects_its_pods(self):
        self.assertEqual(self.kustomization["resources"], ["deployment.yaml"])
        self.assertLessEqual(
            self.deployment["spec"]["selector"]["matchLabels"].items(),
            self.deployment["spec"]["template"]["metadata"]["labels"].items())

    def test_both_containers_share_a_memory_dev_shm_and_the_socket(self):
        volumes = {v["name"]: v for v in self.pod["volumes"]}
        shm = self.mounts(self.server)["/dev/shm"]
        self.assertEqual(self.mounts(self.app)["/dev/shm"], shm)
        self.assertEqual(volumes[shm]["emptyDir"]["medium"], "Memory")
        socket_dir = os.path.dirname(self.socket(self.server["args"]))
        self.assertIn(socket_dir, self.mounts(self.server))
        self.assertEqual(self.mounts(self.app)[socket_dir],
                         self.mounts(self.server)[socket_dir])
        self.assertEqual(flag(self.server["args"], "shared_memory_dir"),
                         "/dev/shm")

    def test_server_allows_shared_memory_and_listens_only_locally(self):
        self.assertIn("--allow_shared_memory", self.server["args"])
        for address in listen_addresses(self.server["args"]):
            self.assertRegex(address, r"^(unix:/|127\.0\.0\.1:)")
        self.assertEqual(self.server["image"], "tensor-transform:latest")

    def test_app_calls_the_socket_the_server_listens_on(self):
        env = {e["name"]: e["value"] for e in self.app["env"]}
        self.assertEqual(env["TT_TARGET"],
                         f"unix:{self.socket(self.server['args'])}")
        script = self.app["command"][-1]
        self.assertIn('--target="$TT_TARGET"', script)
        self.assertIn("--shared_memory", script)

    def test_one_non_root_uid_the_images_read_only_no_capabilities(self):
        uid = int(dockerfile("USER").split(":")[0])
        self.assertEqual(self.pod["securityContext"]["runAsUser"], uid)
        for container in (self.server, self.app):
            security = container["securityContext"]
            # A uid of its own would own objects the server refuses.
            self.assertNotIn("runAsUser", security, container["name"])
            self.assertTrue(security["readOnlyRootFilesystem"])
            self.assertEqual(security["capabilities"]["drop"], ["ALL"])

    def test_probes_call_health_over_the_socket(self):
        target = f"--target=unix:{self.socket(self.server['args'])}"
        for probe in ("startupProbe", "livenessProbe"):
            command = self.server[probe]["exec"]["command"]
            self.assertEqual(command[:2], ["tensor_transform_client", "health"])
            self.assertEqual(command[2], target, probe)

    def test_compose_matches_the_pod(self):
        server = self.compose["services"]["tensor-transform"]
        app = self.compose["services"]["app"]
        self.assertEqual(server["command"], self.server["args"])
        self.assertTrue((ROOT / "deploy" / server["build"]["context"] /
                         server["build"]["dockerfile"]).is_file())
        mounts = {v.split(":")[1]: v.split(":")[0] for v in server["volumes"]}
        self.assertEqual(sorted(mounts), sorted(self.mounts(self.server)))
        self.assertEqual(sorted(app["volumes"]), sorted(server["volumes"]))
        self.assertEqual(app["environment"]["TT_TARGET"],
                         f"unix:{self.socket(server['command'])}")
        self.assertIn('--target="$$TT_TARGET"', app["command"][-1])
        self.assertEqual(app["depends_on"]["tensor-transform"]["condition"],
                         "service_healthy")
        # Where the image's HEALTHCHECK calls it.
        self.assertIn(f"127.0.0.1:{dockerfile('EXPOSE')}",
                      listen_addresses(server["command"]))
        uid = dockerfile("USER").split(":")[0]
        for name in mounts.values():
            options = self.compose["volumes"][name]["driver_opts"]
            self.assertEqual(options["type"], "tmpfs", name)
            self.assertIn(f"uid={uid},", options["o"], name)


if __name__ == "__main__":
    unittest.main()
