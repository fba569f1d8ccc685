// asio_impl.cpp — the one translation unit that compiles Boost.Asio (with its SSL layer) and
// Boost.Beast.
//
// Every other file is built with BOOST_ASIO_SEPARATE_COMPILATION and
// BOOST_BEAST_SEPARATE_COMPILATION and so sees only declarations; the definitions live here,
// compiled once. Keep this file free of Cohort code.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
