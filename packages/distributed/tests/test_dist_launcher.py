"""The launcher's command line and the variables each rank sees."""

import sys

import pytest
from lanterna.distributed import run
from lanterna.distributed._bootstrap import set_rank_environment


def parse(*argv):
    return run._parser().parse_args(list(argv))


def test_single_machine_command():
    args = parse("--nproc_per_node", "2", "train.py", "--lr", "0.1")
    cmd = run.build_mpi_command(args, "mpiexec", 2)
    assert cmd == ["mpiexec", "-n", "2", sys.executable, "-u", "-m", "lanterna.distributed._bootstrap",
                   "train.py", "--lr", "0.1"]


def test_several_machines_from_a_host_file(tmp_path):
    hosts = tmp_path / "hosts"
    hosts.write_text("node1:4\n# a comment\nnode2:4\n\n")
    args = parse("--nproc-per-node", "4", "--hostfile", str(hosts), "-m", "pkg.train")
    cmd = run.build_mpi_command(args, "mpiexec", 4)
    assert cmd[:7] == ["mpiexec", "-f", str(hosts), "-ppn", "4", "-n", "8"]
    assert cmd[-3:] == ["lanterna.distributed._bootstrap", "-m", "pkg.train"]


def test_several_machines_need_a_host_file():
    with pytest.raises(SystemExit, match="--hostfile"):
        run.build_mpi_command(parse("--nnodes", "2", "train.py"), "mpiexec", 1)


def test_nproc_values():
    assert run._nproc("3") == 3 and run._nproc("auto") >= 1
    with pytest.raises(SystemExit):
        run._nproc("0")


@pytest.mark.parametrize("env, expected", [
    ({"PMI_RANK": "3", "PMI_SIZE": "4", "MPI_LOCALRANKID": "1", "MPI_LOCALNRANKS": "2"}, ("3", "4", "1", "2", "1")),
    ({"OMPI_COMM_WORLD_RANK": "2", "OMPI_COMM_WORLD_SIZE": "4", "OMPI_COMM_WORLD_LOCAL_RANK": "0",
      "OMPI_COMM_WORLD_LOCAL_SIZE": "2"}, ("2", "4", "0", "2", "1")),
    ({}, ("0", "1", "0", "1", "0")),
])
def test_rank_environment_from_mpi_launchers(env, expected):
    env = dict(env)
    set_rank_environment(env)
    assert (env["RANK"], env["WORLD_SIZE"], env["LOCAL_RANK"], env["LOCAL_WORLD_SIZE"], env["GROUP_RANK"]) == expected
    assert env["MASTER_ADDR"] and env["MASTER_PORT"]


def test_restarts_are_refused():
    with pytest.raises(SystemExit, match="not supported"):
        run.main(["--max-restarts", "1", "train.py"])
