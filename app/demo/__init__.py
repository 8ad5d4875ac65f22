"""`codehealer demo`: the service with a local stand-in for GitHub and recorded failures.

scenario       the failed runs the demo sends (real logs, the published webhook payload)
github_standin the GitHub REST endpoints CodeHealer calls, served on 127.0.0.1
deliveries     signed workflow_run deliveries, spread over the arrival window
runner         settings of the demo, and the order things start and stop in
"""
