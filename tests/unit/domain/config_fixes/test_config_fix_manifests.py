"""A container's memory limit changed in place in a manifest file, nothing else."""

from app.domain.config_fixes.manifests import find_workload, memory_limit, with_memory_limit

MANIFESTS = """# the checkout service
apiVersion: v1
kind: Service
metadata:
  name: checkout
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: checkout
spec:
  template:
    spec:
      containers:
        - name: proxy
          resources:
            limits:
              memory: 64Mi
        - name: checkout  # the app
          resources:
            requests:
              memory: 256Mi
            limits:
              cpu: 500m
              memory: "512Mi" # raised in March
"""


def test_the_limit_of_the_named_container_is_read():
    document = find_workload(MANIFESTS, "Deployment", "checkout")
    assert memory_limit(document, "checkout") == "512Mi"
    assert memory_limit(document, "proxy") == "64Mi"


def test_only_the_limit_line_changes_keeping_its_quotes_and_comment():
    changed = with_memory_limit(MANIFESTS, "Deployment", "checkout", "checkout", "768Mi")
    assert changed == MANIFESTS.replace('memory: "512Mi"', 'memory: "768Mi"')


def test_the_request_and_the_other_container_are_left_alone():
    changed = with_memory_limit(MANIFESTS, "Deployment", "checkout", "proxy", "96Mi")
    assert changed == MANIFESTS.replace("memory: 64Mi", "memory: 96Mi")


def test_a_container_without_a_limit_gives_none():
    text = MANIFESTS.replace('              memory: "512Mi" # raised in March\n', "")
    assert with_memory_limit(text, "Deployment", "checkout", "checkout", "768Mi") is None


def test_a_workload_not_in_the_file_gives_none():
    assert with_memory_limit(MANIFESTS, "StatefulSet", "checkout", "checkout", "1Gi") is None
    assert find_workload(MANIFESTS, "Deployment", "cart") is None
