"""minopyApp.py --jobfiles (batch scripts for slurm/pbs through dask-jobqueue) and --runfiles."""

from __future__ import annotations

import stat

import pytest

from minopy.cli.minopy_app import main
from minopy.cluster import cluster_options, worker_job_script
from minopy.errors import ConfigError

CLUSTER = """minopy.compute.queue = skx-normal
minopy.compute.account = TG-EAR200012
minopy.compute.walltime = 04:30:00
minopy.compute.cores = 48
minopy.compute.memory = 96GB
minopy.compute.jobs = 3
minopy.compute.threadsPerWorker = 2
minopy.compute.jobDirectives = --constraint=skx; --exclusive
minopy.compute.setupCommands = module load python3; source $WORK/minopy/bin/activate
minopy.compute.localDirectory = /tmp/minopy_scratch
"""


def _template(project, kind):
    project.write_text(project.read_text() + f"minopy.compute.cluster = {kind}\n" + CLUSTER)
    return project


def test_slurm_job_files(project, tmp_path, capsys):
    wd = tmp_path / "wd"
    assert main([str(_template(project, "slurm")), "--dir", str(wd), "--jobfiles"]) == 0
    driver = (wd / "run_files" / "minopy_slurm.job").read_text()
    worker = (wd / "run_files" / "dask_worker_slurm.job").read_text()
    assert str(wd / "run_files" / "minopy_slurm.job") in capsys.readouterr().out
    assert driver.startswith("#!/usr/bin/env bash\n")
    for line in ("#SBATCH -J minopy", "#SBATCH -p skx-normal", "#SBATCH -A TG-EAR200012",
                 "#SBATCH -t 04:30:00", "#SBATCH --constraint=skx", "#SBATCH --exclusive",
                 "module load python3", "source $WORK/minopy/bin/activate",
                 f"cd {wd.resolve()}",
                 f"minopyApp.py {project.resolve()} --dir {wd.resolve()}"):
        assert line in driver.splitlines(), line
    assert "--jobfiles" not in driver
    # the workers: 24 processes x 2 numba threads on 48 cores, 96 GB shared
    for line in ("#SBATCH -J minopy-worker", "#SBATCH --cpus-per-task=48", "#SBATCH -n 1",
                 "#SBATCH -t 04:30:00", "#SBATCH -A TG-EAR200012", "export NUMBA_NUM_THREADS=2",
                 "export OMP_NUM_THREADS=2", "module load python3"):
        assert line in worker.splitlines(), line
    assert any(line.startswith("#SBATCH --mem=") for line in worker.splitlines())
    cmd = worker.splitlines()[-1]
    assert "dask_worker" in cmd and "--nworkers 24" in cmd and "--nthreads 1" in cmd
    assert "--local-directory /tmp/minopy_scratch" in cmd and "--memory-limit 3.7" in cmd
    assert f"#SBATCH -o {wd.resolve()}/dask_jobs/minopy-worker-%J.out" in worker
    assert (wd / "run_files" / "minopy_slurm.job").stat().st_mode & stat.S_IXUSR
    assert not (wd / "log").exists()  # nothing ran


def test_pbs_job_files(project, tmp_path):
    wd = tmp_path / "wd"
    assert main([str(_template(project, "pbs")), "--dir", str(wd), "--jobfiles",
                 "--start", "generate_ifgram"]) == 0
    driver = (wd / "run_files" / "minopy_pbs.job").read_text().splitlines()
    worker = (wd / "run_files" / "dask_worker_pbs.job").read_text().splitlines()
    for line in ("#PBS -N minopy", "#PBS -q skx-normal", "#PBS -A TG-EAR200012",
                 "#PBS -l walltime=04:30:00", "#PBS -l select=1:ncpus=2:mem=7GB",
                 "#PBS --exclusive"):
        assert line in driver, line
    assert driver[-1] == (f"minopyApp.py {project.resolve()} --dir {wd.resolve()} --start "
                          "generate_ifgram")
    assert "#PBS -l select=1:ncpus=48:mem=89GB" in worker
    assert "#PBS -N minopy-worker" in worker and "export NUMBA_NUM_THREADS=2" in worker


def test_jobfiles_need_a_batch_scheduler(project, tmp_path, capsys):
    assert main([str(project), "--dir", str(tmp_path / "wd"), "--jobfiles"]) == 1
    assert "--jobfiles needs minopy.compute.cluster" in capsys.readouterr().err


@pytest.mark.parametrize(("value", "kind", "address"), [
    ("local", "local", None), ("SLURM", "slurm", None), ("lsf", "lsf", None),
    ("tcp://10.0.0.5:8786", "tcp", "tcp://10.0.0.5:8786")])
def test_cluster_option(value, kind, address):
    opts = cluster_options({"minopy.compute.cluster": value})
    assert (opts.kind, opts.address) == (kind, address)


@pytest.mark.parametrize(("options", "key"), [
    ({"minopy.compute.cluster": "condor"}, "minopy.compute.cluster"),
    ({"minopy.compute.cluster": "tcp://host"}, "tcp://host:port"),
    ({"minopy.compute.cluster": "slurm", "minopy.compute.walltime": "4h"},
     "minopy.compute.walltime"),
    ({"minopy.compute.cluster": "pbs", "minopy.compute.memory": "lots"},
     "minopy.compute.memory")])
def test_bad_cluster_options_name_the_key(options, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        cluster_options(options)


def test_the_old_scheduler_key_still_attaches():
    opts = cluster_options({"minopy.compute.scheduler": "tcp://h:8786"})
    assert opts.kind == "tcp" and opts.remote
    with pytest.raises(ConfigError, match="no worker job script"):
        worker_job_script(opts)


def test_runfiles_prints_the_plan(fake_steps, project, tmp_path, capsys):
    fake_steps(load_data="good", phase_linking="good", concatenate_patch="good")
    wd = tmp_path / "wd"
    assert main([str(project), "--dir", str(wd), "--end", "concatenate_patch", "--runfiles"]) == 0
    out = capsys.readouterr().out
    assert not (wd / "runs.txt").exists()  # nothing ran
    assert "1. load_data: will run (never completed in this work directory)" in out
    assert "2. phase_linking: will run (runs after load_data" in out
    assert "reads:  " in out and "writes: load_data.out" in out
    assert "3 of 3 step(s) to run" in out and "a local cluster" in out
    assert main([str(project), "--dir", str(wd), "--end", "concatenate_patch"]) == 0
    capsys.readouterr()
    assert main([str(project), "--dir", str(wd), "--end", "concatenate_patch", "--runfiles"]) == 0
    out = capsys.readouterr().out
    assert "1. load_data: up to date, skipped (finished " in out
    assert "0 of 3 step(s) to run" in out
    (wd / "phase_linking.out").unlink()
    assert main([str(project), "--dir", str(wd), "--end", "concatenate_patch", "--runfiles"]) == 0
    out = capsys.readouterr().out
    assert "2. phase_linking: will run (output " in out and "is missing)" in out
    assert "3. concatenate_patch: will run (runs after phase_linking" in out


@pytest.mark.parametrize(("kind", "lines"), [
    ("sge", ["#$ -N minopy-worker", "#$ -q skx-normal", "#$ -P TG-EAR200012",
             "#$ -l h_rt=04:30:00", "#$ --exclusive"]),
    ("lsf", ["#BSUB -J minopy-worker", "#BSUB -q skx-normal", "#BSUB -P \"TG-EAR200012\"",
             "#BSUB -n 48", "#BSUB -W 04:30"])])
def test_sge_and_lsf_worker_scripts(kind, lines):
    opts = {"minopy.compute.cluster": kind}
    for line in CLUSTER.splitlines():
        key, value = (part.strip() for part in line.split("=", 1))
        opts[key] = value
    script = worker_job_script(cluster_options(opts)).splitlines()
    for line in lines:
        assert line in script, (line, script)
    assert "export NUMBA_NUM_THREADS=2" in script
